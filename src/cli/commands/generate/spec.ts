import type { CommandSpec } from '../../spec.js';
import { VERIFICATION_METHODS } from '../../../core/types.js';

export const generate: CommandSpec = {
  name: 'generate',
  description: 'Issue a TAC for a user (replaces their current one); the code is shown only this once',
  options: [
    { flags: '--user <user>', description: 'id, username, email or phone', kind: 'user' },
    { flags: '--ttl <duration>', description: 'lifetime, e.g. 90m, 8h, 2d or minutes (default: policy)', kind: 'duration' },
    { flags: '--starts-at <time>', description: 'start later: ISO-8601 or relative (+2h); pending until then', kind: 'time' },
    { flags: '--one-time', description: 'valid for one sign-in (the default policy)' },
    { flags: '--multi-use', description: 'valid until expiry (if the policy allows it)' },
    { flags: '--reason <text>', description: 'why the code is issued (kept in the audit log)', kind: 'text' },
    { flags: '--verified-by <method>', description: 'how the caller\'s identity was verified (required by the default policy)', choices: VERIFICATION_METHODS },
    { flags: '--verification-note <text>', description: 'detail of the identity check (kept in the audit log)', kind: 'text' },
    { flags: '--spell', description: 'also print the code spelled out (NATO alphabet) when piped' },
    { flags: '--yes', description: 'replace the user\'s pending or active TAC without asking (scripts never ask)' },
  ],
  examples: [
    { command: 'tac generate', description: 'search for the user, confirm identity, issue (interactive)' },
    { command: 'tac generate --user alice@example.com --verified-by callback', description: 'issue a code with the default lifetime' },
    { command: 'tac generate --user alice --ttl 2h --verified-by id-document --reason "lost phone"', description: 'a two-hour code, with a reason' },
    { command: 'CODE=$(tac generate --user bob --verified-by manager-approval)', description: 'piped: only the bare code is printed' },
  ],
  load: () => import('./run.js'),
};
