import { hash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { invalid } from './errors.js';

/**
 * Agents are the server's API clients (a help-desk console, a provisioning job, an app that
 * verifies codes). Pure rules: roles, scopes, and the secrets' generation and hashing.
 */

export const ROLES = ['helpdesk', 'provisioner', 'admin', 'app'] as const;
export type Role = (typeof ROLES)[number];

export const SCOPES = [
  'users:read', 'users:write', 'users:unlock',
  'tacs:read', 'tacs:write', 'tacs:verify',
  'guests:write',
  'policy:read', 'policy:write',
  'audit:read',
  'agents:write',
] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * The one role → scopes table. `policy:read` is admin-only: the policy reveals lockout thresholds,
 * and the server applies its defaults itself, so help-desk and provisioning agents never need it.
 */
export const ROLE_SCOPES: Readonly<Record<Role, readonly Scope[]>> = Object.freeze({
  helpdesk: ['users:read', 'users:unlock', 'tacs:read', 'tacs:write'],
  provisioner: ['users:read', 'guests:write'],
  app: ['tacs:verify'],
  admin: SCOPES,
});

/** An agent as shown to anyone: never its secret hash. */
export interface AgentView {
  clientId: string;
  name: string;
  role: Role;
  scopes: Scope[];
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** Returned once, on creation: the only time the client secret exists outside the caller's hands. */
export interface CreatedAgent {
  clientId: string;
  clientSecret: string;
  agent: AgentView;
}

export const isRole = (s: unknown): s is Role => typeof s === 'string' && (ROLES as readonly string[]).includes(s);
export const isScope = (s: unknown): s is Scope => typeof s === 'string' && (SCOPES as readonly string[]).includes(s);

export function checkRole(role: unknown): Role {
  if (!isRole(role)) throw invalid('--role', `must be one of ${ROLES.join(', ')}`);
  return role;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Agent names appear in audit rows as `agent:<name>`, so they are short and plain. */
export function checkAgentName(name: unknown): string {
  const s = typeof name === 'string' ? name.trim() : '';
  if (!NAME_RE.test(s)) throw invalid('--name', 'must be 1 to 64 letters, digits and . _ - (starting with a letter or digit)');
  return s;
}

export const actorFor = (agentName: string): string => `agent:${agentName}`;

/** A scope parameter (RFC 6749 §3.3: space-delimited) narrowed to the role; undefined = everything the role has. */
export function grantScopes(role: Role, requested: string | undefined): { ok: true; scopes: Scope[] } | { ok: false; reason: string } {
  const roleScopes = ROLE_SCOPES[role];
  if (requested === undefined || requested.trim() === '') return { ok: true, scopes: [...roleScopes] };
  const wanted = [...new Set(requested.trim().split(/ +/))];
  const unknown = wanted.find((s) => !isScope(s));
  if (unknown !== undefined) return { ok: false, reason: `unknown scope "${unknown.slice(0, 40)}"` };
  const beyond = wanted.find((s) => !roleScopes.includes(s as Scope));
  if (beyond !== undefined) return { ok: false, reason: `the ${role} role does not grant ${beyond}` };
  return { ok: true, scopes: SCOPES.filter((s) => wanted.includes(s)) };
}

/** Why a token may not do `needed`, or undefined when it may. */
export function scopeRefusal(role: Role, granted: readonly string[], needed: Scope): string | undefined {
  if (granted.includes(needed)) return undefined;
  if (ROLE_SCOPES[role].includes(needed)) return `your token lacks ${needed} (request a token whose scope includes it)`;
  return `your role (${role}) lacks ${needed}`;
}

// ---- secrets and tokens ----------------------------------------------------------------------

const b64url = (bytes: number): string => randomBytes(bytes).toString('base64url');

/** Client ids are public identifiers (`agt_` + 80 random bits); safe to log. */
export function newClientId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(16);
  let out = '';
  for (let i = 0; i < 16; i++) out += alphabet[bytes[i]! & 31];
  return `agt_${out}`;
}

/** 256 random bits. The prefix lets secret scanners recognise a leaked one. */
export const newClientSecret = (): string => `tacsec_${b64url(32)}`;
export const newAccessToken = (): string => `tacat_${b64url(32)}`;

/** Access tokens are 256-bit random, so a plain SHA-256 is enough to store them (no brute force possible). */
// crypto.hash (node >= 20.12): one call, 3-4x cheaper than createHash for a short input; it runs on every API request.
export const hashToken = (token: string): string => hash('sha256', token, 'hex');

// scrypt parameters: N=2^15 with r=8 costs 32 MiB and tens of milliseconds per guess.
const SCRYPT = { N: 32768, r: 8, p: 1, keylen: 32, maxmem: 64 * 1024 * 1024 } as const;

function scryptAsync(secret: string, salt: Buffer, N: number, r: number, p: number, keylen: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keylen, { N, r, p, maxmem: SCRYPT.maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** `scrypt$N$r$p$salt$hash` (base64url), so parameters can be raised later without breaking old hashes. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keylen);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (![N, r, p].every(Number.isSafeInteger) || N > 1 << 20 || expected.length === 0) return false;
  const actual = await scryptAsync(secret, salt, N, r, p, expected.length);
  return timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | undefined;
/** A hash to check unknown client ids against, so that they take as long as known ones. */
export const dummySecretHash = (): Promise<string> => (dummyHash ??= hashSecret(newClientSecret()));
