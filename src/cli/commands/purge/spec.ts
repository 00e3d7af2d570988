import type { CommandSpec } from '../../spec.js';

export const purge: CommandSpec = {
  name: 'purge',
  description: 'Delete expired, used and revoked TACs older than the policy\'s purge age',
  options: [{ flags: '--dry-run', description: 'only show what would be deleted' }],
  examples: [
    { command: 'tac purge --dry-run', description: 'count what would go' },
    { command: 'tac purge', description: 'delete old finished TACs now (also done whenever a code is issued)' },
  ],
  load: () => import('./run.js'),
};
