import { prompts } from '../../interactive.js';
import { readFirstLine } from '../../io.js';
import type { Handler } from '../../spec.js';
import { required } from '../../parse.js';
import { usageError } from '../../errors.js';
import { isLockedUntilUnlocked } from '../../../core/users.js';
import { UNTIL_UNLOCKED } from '../../present.js';

const EXPLAIN: Record<string, string> = {
  unknown_user: 'no such user',
  user_disabled: 'the user is disabled',
  locked_out: 'too many failed attempts; the user is locked out',
  tacs_disabled: 'TACs are disabled by policy',
  invalid_code: 'the code is not valid',
  not_yet_valid: 'the code is not valid yet',
  expired: 'the code has expired',
  already_used: 'the code was already used',
  revoked: 'the code was revoked',
};

/**
 * The code comes only from standard input, never from a flag, so it stays out of shell history.
 * Typed at a terminal it is masked like a secret (only "*" is drawn), also under --no-input or
 * CI: the terminal is where it comes from, and echoing it would leave it on the screen.
 */
export const run: Handler = async (ctx, { opts }) => {
  const user = required(opts, 'user', '--user');
  const code = ctx.io.stdin.isTTY
    ? await (await prompts(ctx)).password({ message: 'Code', mask: '*' })
    : await readFirstLine(ctx.io.stdin);
  // An empty line is a mistake, not a guess: refuse it before it counts towards a lockout.
  if (!code.trim()) throw usageError('no code on standard input: type or pipe the code (first line)', 'code');
  const verdict = await (await ctx.backend()).verify(user, code);
  if (ctx.globals.json) ctx.json(verdict);
  else if (verdict.valid) {
    ctx.print(ctx.tty ? `${ctx.style.green('✓ valid')} — ${verdict.user.username ?? verdict.user.id}${verdict.tac ? `, ${verdict.tac.oneTime ? 'one-time code now used' : `multi-use, ${verdict.tac.useCount} use(s)`}` : ''}\n` : 'valid\n');
  } else {
    const until = 'lockedUntil' in verdict && verdict.lockedUntil ? ` ${isLockedUntilUnlocked(verdict.lockedUntil) ? UNTIL_UNLOCKED : `until ${verdict.lockedUntil}`}` : '';
    ctx.print(ctx.tty ? `${ctx.style.red('✗ invalid')}: ${EXPLAIN[verdict.reason]}${until} (${verdict.reason})\n` : `invalid\t${verdict.reason}\n`);
  }
  return verdict.valid ? 0 : 6;
};
