import type { CommandSpec } from '../../spec.js';

export const whoami: CommandSpec = {
  name: 'whoami',
  description: 'Show where commands run and as whom: server, agent, role, scopes, token expiry, secret storage',
  examples: [{ command: 'tac whoami', description: 'the current profile\'s identity' }],
  load: () => import('./run.js'),
};
