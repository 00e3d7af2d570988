import type { CommandSpec } from '../../spec.js';

export const guests: CommandSpec = {
  name: 'guests',
  description: 'Create guest users who sign in only with a TAC',
  examples: [{ command: 'tac guests create --email visitor@example.com', description: 'create a guest and issue their code' }],
  subcommands: [
    {
      name: 'create',
      description: 'Create a guest and issue their first TAC in one step; the code is shown only this once',
      options: [
        { flags: '--email <email>', description: 'the guest\'s email (also their username unless --username)', kind: 'text' },
        { flags: '--name <name>', description: 'display name', kind: 'text' },
        { flags: '--username <username>', description: 'username (default: the email)', kind: 'text' },
        { flags: '--phone <phone>', description: 'phone number', kind: 'text' },
        { flags: '--ttl <duration>', description: 'lifetime (default: policy)', kind: 'duration' },
        { flags: '--starts-at <time>', description: 'start later: ISO-8601 or relative (+2h)', kind: 'time' },
        { flags: '--multi-use', description: 'valid until expiry (if the policy allows it)' },
      ],
      examples: [
        { command: 'tac guests create --email visitor@example.com --name "Vera Visitor" --ttl 8h', description: 'a guest with an 8-hour code' },
        { command: 'tac guests create --email contractor@example.com --json', description: 'JSON with the code, for scripts' },
      ],
      load: () => import('./create.js'),
    },
    {
      name: 'import',
      description: 'Create guests from a CSV file (header: email,name and optional username,phone), one TAC each',
      args: [{ name: 'file', description: 'CSV file, or - for standard input', kind: 'file' }],
      options: [
        { flags: '--out <file>', description: 'write the codes (JSON Lines) to this new file, mode 0600, never overwritten', kind: 'file' },
        { flags: '--on-existing <mode>', description: 'when an email exists: fail (default), skip, or reissue a code', choices: ['fail', 'skip', 'reissue'] },
        { flags: '--ttl <duration>', description: 'lifetime of every code (default: policy)', kind: 'duration' },
        { flags: '--starts-at <time>', description: 'start later: ISO-8601 or relative (+2h)', kind: 'time' },
        { flags: '--multi-use', description: 'codes valid until expiry (if the policy allows it)' },
      ],
      examples: [
        { command: 'tac guests import visitors.csv --out codes.jsonl', description: 'codes to a private file' },
        { command: 'tac guests import visitors.csv --on-existing skip > codes.jsonl', description: 're-runnable import' },
      ],
      load: () => import('./import.js'),
    },
  ],
};
