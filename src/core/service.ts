import type { Flow } from './flow.js';
import { runSync } from './flow.js';
import { ServiceCore, type ServiceDeps } from './service/core.js';
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
 * loading, user lookup, audit append, and why every method is a generator), policy.ts, users.ts,
 * tacs.ts (issue, list, revoke), verification.ts, guests.ts (guests and imports) and purge-audit.ts.
 * Their methods are copied onto this class's prototype (the TypeScript handbook's alternative mixin
 * pattern) rather than forwarded: a forwarding facade would add a call to every request, and parts
 * held in fields would be allocated for every server request (each request acts as its agent).
 *
 * Each method returns a Flow: run it with runSync over SQLite, runAsync over PostgreSQL (flow.ts),
 * or use TacService below over a synchronous store.
 */
export class TacCore extends ServiceCore {}
export interface TacCore extends PolicyPart, UsersPart, TacsPart, VerificationPart, GuestsPart, PurgeAuditPart {}

/** The names of TacCore's operations (every generator method, the shared lookups included). */
const OPERATIONS: string[] = [];
for (const name of Object.getOwnPropertyNames(ServiceCore.prototype)) if (name !== 'constructor' && name !== 'transaction') OPERATIONS.push(name);
for (const part of [PolicyPart, UsersPart, TacsPart, VerificationPart, GuestsPart, PurgeAuditPart]) {
  for (const name of Object.getOwnPropertyNames(part.prototype)) {
    if (name === 'constructor') continue;
    // One place per method: a second definition would silently win over the first.
    if (name in TacCore.prototype) throw new Error(`TacCore: ${part.name}.${name} is already defined by another part`);
    Object.defineProperty(TacCore.prototype, name, Object.getOwnPropertyDescriptor(part.prototype, name)!);
    OPERATIONS.push(name);
  }
}

type Operations = Omit<TacCore, keyof ServiceDeps | 'random' | 'transaction'>;
/** TacCore's operations with their results instead of flows. */
type Synchronous<C> = { [K in keyof C]: C[K] extends (...args: infer A) => Flow<infer R> ? (...args: A) => R : never };

/**
 * The engine over a synchronous store (SQLite): each operation of TacCore run to its end at once
 * (runSync), so `service.verify(user, code)` returns the verdict. The CLI's local backend, the
 * server over SQLite and the unit tests use it; `core` is the same engine's flows.
 */
export class TacService {
  readonly core: TacCore;

  /** Over new dependencies, or as the synchronous face of an existing core. */
  constructor(deps: ServiceDeps | TacCore) {
    this.core = deps instanceof TacCore ? deps : new TacCore(deps);
  }
}
export interface TacService extends Synchronous<Operations> {}

for (const name of OPERATIONS) {
  Object.defineProperty(TacService.prototype, name, {
    value(this: TacService, ...args: unknown[]) {
      return runSync((this.core as unknown as Record<string, (...a: unknown[]) => Flow<unknown>>)[name]!(...args));
    },
  });
}
