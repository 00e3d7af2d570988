import { groupCode } from '../core/codes.js';
import { formatRelative } from '../core/duration.js';
import type { IssuedTacView } from '../core/types.js';
import type { Style } from './color.js';
import { spellCode } from './phonetic.js';

/**
 * The one-time display of a freshly issued code on a terminal: grouped in fours for reading out,
 * with who it is for, when it starts and expires, and the warning that it will not be shown again.
 */
export function renderIssuedCode(t: IssuedTacView, opts: { style: Style; now: Date }): string {
  const s = opts.style;
  const who = `${t.user.name ? `${t.user.name} ` : ''}${t.user.email ? `<${t.user.email}>` : ''}${t.user.guest ? ' (guest)' : ''}`;
  const starts = new Date(t.startsAt);
  // A provider may leave expiry, use and id to its own settings: say so rather than guess.
  const unknown = s.dim('set by the provider');
  const lines = [
    '',
    `  ${s.bold(s.cyan(groupCode(t.code)))}`,
    `  ${s.dim(spellCode(t.code))}`,
    '',
    `  ${s.dim('For')}       ${[t.user.username ?? t.user.id, who].filter(Boolean).join(' ')}`,
    ...(t.status === 'pending' ? [`  ${s.dim('Starts')}    ${t.startsAt} (${formatRelative(starts, opts.now)})`] : []),
    `  ${s.dim('Expires')}   ${t.expiresAt ? `${t.expiresAt} (${formatRelative(new Date(t.expiresAt), opts.now)})` : unknown}`,
    `  ${s.dim('Use')}       ${t.oneTime === null ? unknown : t.oneTime ? 'one-time' : 'multi-use until expiry'}`,
    ...(t.id ? [`  ${s.dim('TAC id')}    ${t.id}`] : []),
    '',
    `  ${s.yellow('This code will not be shown again. Read it to the user now.')}`,
    '',
  ];
  return lines.join('\n') + '\n';
}
