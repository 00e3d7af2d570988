import type { CommandSpec } from '../../spec.js';

export const login: CommandSpec = {
  name: 'login',
  description: 'Log in to a tac server with an agent\'s client credentials and store them',
  options: [
    { flags: '--client-id <id>', description: 'the agent\'s client id (agt_…)', kind: 'text' },
    { flags: '--client-secret-stdin', description: 'read the client secret from standard input (first line)' },
  ],
  examples: [
    { command: 'tac login --server https://tac.example.com --client-id agt_abcdefghijklmnop', description: 'asks for the secret (hidden)' },
    { command: 'printf "%s\\n" "$SECRET" | tac login --server https://tac.example.com --client-id agt_abcdefghijklmnop --client-secret-stdin', description: 'from a script' },
  ],
  load: () => import('./run.js'),
};
