import { invalid } from '../core/errors.js';

/*
 * A provider keeps a TAC under its user (an Okta enrollment, an Entra pass method), and addresses it
 * only with both ids. tac shows such a TAC's id as `<user id>:<method id>`, so `tac delete <id>`
 * works as it does on tac's own server. Neither provider's ids contain a colon.
 */

export const tacId = (userId: string, methodId: string): string => `${userId}:${methodId}`;

export function splitTacId(id: string, provider: string): { userId: string; methodId: string } {
  const at = id.indexOf(':');
  const userId = id.slice(0, at).trim();
  const methodId = id.slice(at + 1).trim();
  if (at <= 0 || !userId || !methodId || methodId.includes(':') || /[\s/?#]/.test(id.trim())) {
    throw invalid('id', `"${id.slice(0, 80)}" is not ${/^[aeiou]/.test(provider) ? 'an' : 'a'} ${provider} TAC id; use the id tac list shows (<user id>:<TAC id>)`);
  }
  return { userId, methodId };
}
