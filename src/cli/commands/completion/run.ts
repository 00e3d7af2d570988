import { completionScript } from '../../docs/index.js';
import { usageError } from '../../errors.js';
import type { Handler } from '../../spec.js';
import { SHELLS, type Shell } from './spec.js';

export const run: Handler = async (ctx, { args }) => {
  const shell = args[0] ?? '';
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw usageError(`shell: unknown shell "${shell.slice(0, 40)}"; use one of ${SHELLS.join(', ')}`, 'shell');
  }
  ctx.print(completionScript(shell as Shell));
};
