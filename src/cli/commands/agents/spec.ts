import type { CommandSpec } from '../../spec.js';
import { ROLES } from '../../../core/agents.js';

export const agents: CommandSpec = {
  name: 'agents',
  description: 'Manage the server\'s API clients (agents) and their roles',
  examples: [{ command: 'tac agents create --name desk-1 --role helpdesk', description: 'credentials for a help-desk agent' }],
  subcommands: [
    {
      name: 'create',
      description: 'Create an agent; prints its client id and client secret once',
      options: [
        { flags: '--name <name>', description: 'unique agent name (shown as the actor in the audit log)', kind: 'text' },
        { flags: '--role <role>', description: 'what the agent may do', choices: ROLES },
      ],
      examples: [
        { command: 'tac agents create --name desk-1 --role helpdesk', description: 'a help-desk agent' },
        { command: 'tac agents create --name signin-app --role app --json', description: 'an app that verifies codes' },
      ],
      load: () => import('./create.js'),
    },
    {
      name: 'list',
      description: 'List agents (never their secrets)',
      options: [{ flags: '--all', description: 'include revoked agents' }],
      examples: [{ command: 'tac agents list', description: 'every active agent' }],
      load: () => import('./list.js'),
    },
    {
      name: 'revoke',
      description: 'Revoke an agent and every token it holds',
      args: [{ name: 'client-id', description: 'the agent\'s client id (agt_…)' }],
      options: [{ flags: '--yes', description: 'do not ask for confirmation' }],
      examples: [
        { command: 'tac agents revoke agt_abcdefghijklmnop', description: 'revoke an agent (asks first)' },
        { command: 'tac agents revoke agt_abcdefghijklmnop --yes', description: 'revoke from a script' },
      ],
      load: () => import('./revoke.js'),
    },
  ],
};
