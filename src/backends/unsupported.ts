import { TacError } from '../core/errors.js';

/**
 * The one error for a command an identity provider has no API for, so every provider says it the
 * same way: `mosaic does not offer listing TACs (tac list); use the Mosaic admin portal`.
 */
export function unsupported(provider: string, what: string, command: string, instead: string): TacError {
  return new TacError('unsupported', `${provider} does not offer ${what} (${command}); ${instead}`);
}
