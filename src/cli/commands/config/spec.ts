import type { CommandSpec } from '../../spec.js';

/** require-attestation: false lets a provider profile issue codes without --verified-by. */
export const CONFIG_KEYS = ['current-profile', 'server', 'client-id', 'db', 'insecure', 'require-attestation'] as const;

export const config: CommandSpec = {
  name: 'config',
  description: 'Show and change profiles: a local database, or a server with a client id',
  examples: [{ command: 'tac config list', description: 'every profile' }],
  subcommands: [
    {
      name: 'list',
      description: 'List profiles',
      examples: [{ command: 'tac config list --json', description: 'profiles as JSON' }],
      load: () => import('./list.js'),
    },
    {
      name: 'get',
      description: 'Print one setting of the current (or --profile) profile',
      args: [{ name: 'key', description: `one of ${CONFIG_KEYS.join(', ')}` }],
      examples: [{ command: 'tac config get server --profile work', description: 'the server of "work"' }],
      load: () => import('./get.js'),
    },
    {
      name: 'set',
      description: 'Change one setting; server makes the profile remote, db makes it local',
      args: [
        { name: 'key', description: `one of ${CONFIG_KEYS.join(', ')}` },
        { name: 'value', description: 'the new value' },
      ],
      examples: [
        { command: 'tac config set db ~/helpdesk.db --profile lab', description: 'a local profile on another database' },
        { command: 'tac config set current-profile work', description: 'switch the current profile' },
      ],
      load: () => import('./set.js'),
    },
  ],
};
