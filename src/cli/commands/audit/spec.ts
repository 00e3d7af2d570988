import type { CommandSpec } from '../../spec.js';
import { AUDIT_ACTIONS } from '../../../core/types.js';

export const audit: CommandSpec = {
  name: 'audit',
  description: 'Show the audit log, newest first (never a code)',
  options: [
    { flags: '--user <user>', description: 'only events about this user (id works for deleted users)', kind: 'user' },
    { flags: '--action <action>', description: 'only this action', choices: AUDIT_ACTIONS },
    { flags: '--since <duration|time>', description: 'only events since: a duration back (24h, 7d) or a time', kind: 'time' },
    { flags: '--limit <n>', description: 'at most N events (default 100)', kind: 'number' },
  ],
  examples: [
    { command: 'tac audit --user alice --since 24h', description: 'what happened to alice today' },
    { command: 'tac audit --action tac.verify_failed --json', description: 'failed verifications as JSON Lines' },
  ],
  load: () => import('./run.js'),
};
