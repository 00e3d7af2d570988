import { ServiceCore } from './service/core.js';
import { GuestsPart } from './service/guests.js';
import { PolicyPart } from './service/policy.js';
import { PurgeAuditPart } from './service/purge-audit.js';
import { TacsPart } from './service/tacs.js';
import { UsersPart } from './service/users.js';
import { VerificationPart } from './service/verification.js';

export type { ServiceDeps } from './service/core.js';

/**
 * The TAC engine: every rule of issuing, verifying, revoking and purging lives here, once. The local
 * backend and the server both call it, so they cannot drift apart.
 *
 * One object over one Store, written by concern in src/core/service/: core.ts (dependencies, policy
 * loading, user lookup, audit append), policy.ts, users.ts, tacs.ts (issue, list, revoke),
 * verification.ts, guests.ts (guests and imports) and purge-audit.ts. Their methods are copied onto
 * this class's prototype (the TypeScript handbook's alternative mixin pattern) rather than forwarded:
 * a forwarding facade would add a call to every request, and parts held in fields would be
 * allocated for every server request (each request makes a TacService acting as its agent).
 */
export class TacService extends ServiceCore {}
export interface TacService extends PolicyPart, UsersPart, TacsPart, VerificationPart, GuestsPart, PurgeAuditPart {}

for (const part of [PolicyPart, UsersPart, TacsPart, VerificationPart, GuestsPart, PurgeAuditPart]) {
  for (const name of Object.getOwnPropertyNames(part.prototype)) {
    if (name === 'constructor') continue;
    // One place per method: a second definition would silently win over the first.
    if (name in TacService.prototype) throw new Error(`TacService: ${part.name}.${name} is already defined by another part`);
    Object.defineProperty(TacService.prototype, name, Object.getOwnPropertyDescriptor(part.prototype, name)!);
  }
}
