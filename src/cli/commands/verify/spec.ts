import type { CommandSpec } from '../../spec.js';

export const verify: CommandSpec = {
  name: 'verify',
  description: 'Check a code for a user; the code is read from standard input (first line)',
  options: [{ flags: '--user <user>', description: 'id, username, email or phone', kind: 'user' }],
  examples: [
    { command: 'tac verify --user alice', description: 'type the code, then Enter (exit 0 valid, 6 invalid)' },
    { command: 'printf "%s\\n" "$CODE" | tac verify --user alice --json', description: 'verify from a script' },
  ],
  load: () => import('./run.js'),
};
