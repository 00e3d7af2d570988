import type { CommandSpec } from '../../spec.js';

export const deleteCmd: CommandSpec = {
  name: 'delete',
  aliases: ['revoke'],
  description: 'Revoke a TAC by id, or every live TAC of a user (kept as "revoked" until purged)',
  args: [{ name: 'tac-id', description: 'the TAC id (tac_…)', required: false }],
  options: [
    { flags: '--user <user>', description: 'revoke this user\'s pending or active TAC', kind: 'user' },
    { flags: '--yes', description: 'do not ask for confirmation' },
  ],
  examples: [
    { command: 'tac delete tac_abcdefghijklmnop --yes', description: 'revoke one TAC' },
    { command: 'tac delete --user alice', description: 'revoke alice\'s current TAC (asks first)' },
  ],
  load: () => import('./run.js'),
};
