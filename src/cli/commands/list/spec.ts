import type { CommandSpec } from '../../spec.js';
import { TAC_STATUSES } from '../../../core/types.js';

export const list: CommandSpec = {
  name: 'list',
  aliases: ['ls'],
  description: 'List TACs, newest first (never their codes)',
  options: [
    { flags: '--user <user>', description: 'only this user\'s TACs', kind: 'user' },
    { flags: '--status <status>', description: 'filter by status (default all)', choices: [...TAC_STATUSES, 'all'] },
    { flags: '--limit <n>', description: 'at most N TACs (default 50, max 1000)', kind: 'number' },
  ],
  examples: [
    { command: 'tac list --status active', description: 'every active TAC' },
    { command: 'tac list --user alice --json', description: 'alice\'s TACs as JSON' },
  ],
  load: () => import('./run.js'),
};
