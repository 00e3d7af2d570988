import type { CommandSpec } from '../../spec.js';

export const logout: CommandSpec = {
  name: 'logout',
  description: 'Forget the stored client secret and cached token of a profile',
  examples: [{ command: 'tac logout --profile work', description: 'log out of the "work" profile' }],
  load: () => import('./run.js'),
};
