import { groupCode } from '../core/codes.js';
import { formatRelative } from '../core/duration.js';
import type { IssuedTac } from '../core/types.js';
import type { Style } from './color.js';
import { spellCode } from './phonetic.js';

/**
 * The one-time display of a freshly issued code on a terminal: grouped in fours for reading out,
 * with who it is for, when it starts and expires, and the warning that it will not be shown again.
 */
export function renderIssuedCode(t: IssuedTac, opts: { style: Style; now: Date }): string {
  const s = opts.style;
  const who = `${t.user.name ? `${t.user.name} ` : ''}<${t.user.email}>${t.user.guest ? ' (guest)' : ''}`;
  const expires = new Date(t.expiresAt);
  const starts = new Date(t.startsAt);
  const lines = [
    '',
    `  ${s.bold(s.cyan(groupCode(t.code)))}`,
    `  ${s.dim(spellCode(t.code))}`,
    '',
    `  ${s.dim('For')}       ${t.user.username} ${who}`,
    ...(t.status === 'pending' ? [`  ${s.dim('Starts')}    ${t.startsAt} (${formatRelative(starts, opts.now)})`] : []),
    `  ${s.dim('Expires')}   ${t.expiresAt} (${formatRelative(expires, opts.now)})`,
    `  ${s.dim('Use')}       ${t.oneTime ? 'one-time' : 'multi-use until expiry'}`,
    `  ${s.dim('TAC id')}    ${t.id}`,
    '',
    `  ${s.yellow('This code will not be shown again. Read it to the user now.')}`,
    '',
  ];
  return lines.join('\n') + '\n';
}
