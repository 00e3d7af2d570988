// The Okta fake's management API routes and data (see okta-server.mjs for the sources cited).
import { randomBytes, randomInt } from 'node:crypto';

export function send(res, status, body, headers = {}) {
  res.writeHead(status, {
    'content-type': 'application/json', 'x-okta-request-id': `req${randomBytes(8).toString('hex')}`,
    'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '599', 'x-rate-limit-reset': String(Math.floor(Date.now() / 1000) + 60), ...headers,
  });
  res.end(body === undefined ? '' : JSON.stringify(body));
}
/** Okta's error object (spec components.schemas.Error); `causes` become errorCauses[{errorSummary}]. */
export const oktaError = (res, status, errorCode, errorSummary, causes = [], headers = {}) =>
  send(res, status, { errorCode, errorSummary, errorLink: errorCode, errorId: `oae${randomBytes(8).toString('hex')}`, errorCauses: causes.map((c) => ({ errorSummary: c })) }, headers);
const invalid = (res, what, causes) => oktaError(res, 400, 'E0000001', `Api validation failed: ${what}`, causes);
const notFound = (res, what) => oktaError(res, 404, 'E0000007', `Not found: Resource not found: ${what}`);

const T = '2026-01-05T09:00:00.000Z';
const user = (id, status, profile) => ({
  id, status, created: T, activated: T, statusChanged: T, lastLogin: null, lastUpdated: '2026-02-01T10:00:00.000Z', passwordChanged: T,
  type: { id: 'oty1defaulttype00001' }, profile: { firstName: null, lastName: null, mobilePhone: null, secondEmail: null, ...profile },
  credentials: { provider: { type: 'OKTA', name: 'OKTA' } }, _links: { self: { href: `https://{yourOktaDomain}/api/v1/users/${id}` } },
});
/** The users the fake knows; admin@example.com is the admin the API token acts as. */
const users = [
  user('00uadmin000000000001', 'ACTIVE', { login: 'admin@example.com', email: 'admin@example.com', firstName: 'Ada', lastName: 'Admin' }),
  user('00ualice000000000001', 'ACTIVE', { login: 'alice@example.com', email: 'alice@example.com', firstName: 'Alice', lastName: 'Smith', mobilePhone: '+15550101010' }),
  user('00ubob00000000000002', 'ACTIVE', { login: 'bob@example.com', email: 'bob@example.com', firstName: 'Bob', lastName: 'Jones' }),
  user('00ucarol0000000000003', 'SUSPENDED', { login: 'carol@example.com', email: 'carol@example.com', firstName: 'Carol', lastName: 'White' }),
  user('00udave00000000000004', 'DEPROVISIONED', { login: 'dave@example.com', email: 'dave@example.com', firstName: 'Dave', lastName: 'Black' }),
  user('00uerin00000000000005', 'LOCKED_OUT', { login: 'erin@example.com', email: 'erin@example.com', firstName: 'Erin', lastName: 'Gray' }),
  user('00ufrank0000000000006', 'ACTIVE', { login: 'frank@corp.example', email: 'frank@example.com', firstName: 'Frank', lastName: 'Ng' }),
];
const STATUSES = ['ACTIVE', 'DEPROVISIONED', 'LOCKED_OUT', 'PASSWORD_EXPIRED', 'PROVISIONED', 'RECOVERY', 'STAGED', 'SUSPENDED'];

const authenticator = (id, key, type, name, extra = {}) => ({
  type, id, key, status: 'ACTIVE', name, created: T, lastUpdated: T, ...extra,
  _links: { self: { href: `https://{yourOktaDomain}/api/v1/authenticators/${id}`, hints: { allow: ['GET', 'PUT'] } } },
});
const TAC_ID = 'aut8j8vbvcr5b4a8l0g7';
/** As the seed's "Create a TAC authenticator" example (provider.type TAC in the response). */
const authenticators = [
  authenticator('autpassword000000001', 'okta_password', 'password', 'Password'),
  authenticator('autemail000000000001', 'okta_email', 'email', 'Email'),
  authenticator(TAC_ID, 'tac', 'tac', 'Temporary Access Code', {
    provider: { type: 'TAC', configuration: { length: 16, minTtl: 10, maxTtl: 720, defaultTtl: 480, multiUseAllowed: true, complexity: { numbers: true, letters: true, specialCharacters: true } } },
  }),
];
const tacAuthenticator = () => authenticators.find((a) => a.key === 'tac');

/** Enrollments by user id; every user has a password and an email enrollment (not TACs). */
const enrollments = new Map(users.map((u) => [u.id, [
  { type: 'password', id: `lae${u.id.slice(3, 17)}`, key: 'okta_password', status: 'ACTIVE', name: 'Password', nickname: null, created: T, lastUpdated: T },
  { type: 'email', id: `eae${u.id.slice(3, 17)}`, key: 'okta_email', status: 'ACTIVE', name: 'Email', profile: { email: u.profile.email }, nickname: null, created: T, lastUpdated: T },
]]));
const links = (userId, id) => ({
  self: { href: `https://{yourOktaDomain}/api/v1/users/${userId}/authenticator-enrollments/${id}`, hints: { allow: ['GET', 'DELETE'] } },
  user: { href: `https://{yourOktaDomain}/api/v1/users/${userId}`, hints: { allow: ['GET'] } },
});
/** The code is in the POST's answer only ("not returned when the enrollment is retrieved"). */
const withoutCode = (e) => (e.type === 'tac' ? { ...e, profile: { multiUse: e.profile.multiUse, expiresAt: e.profile.expiresAt } } : e);

const SEARCH_RE = /^(id|status|profile\.(?:login|email|firstName|lastName|mobilePhone|primaryPhone)) (eq|sw|co) "((?:[^"\\]|\\.)*)"$/i;
const prop = (u, p) => (p.startsWith('profile.') ? u.profile[p.slice(8)] : u[p]);

function listUsers(res, q) {
  const extra = [...q.keys()].filter((k) => !['search', 'filter', 'q', 'limit', 'after', 'sortBy', 'sortOrder', 'expand'].includes(k));
  if (extra.length) return invalid(res, 'query', [`unknown query parameter ${extra.join(', ')}`]);
  const limit = q.has('limit') ? Number(q.get('limit')) : 200;
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) return invalid(res, 'limit', ['limit must be 1 to 200']);
  let found = users.filter((u) => u.status !== 'DEPROVISIONED');
  if (q.has('search')) {
    const m = SEARCH_RE.exec(q.get('search'));
    if (!m) return oktaError(res, 400, 'E0000031', 'Invalid search criteria.', ['the fake evaluates one `property eq|sw|co "value"` clause']);
    const [, p, op, raw] = m;
    const v = raw.replace(/\\(.)/g, '$1').toLowerCase();
    if (op.toLowerCase() === 'co' && !/^profile\.(firstName|lastName|email|login)$/.test(p)) return oktaError(res, 400, 'E0000031', 'Invalid search criteria.', ['co only on firstName, lastName, email, login']);
    const test = { eq: (s) => s === v, sw: (s) => s.startsWith(v), co: (s) => s.includes(v) }[op.toLowerCase()];
    found = users.filter((u) => typeof prop(u, p) === 'string' && test(prop(u, p).toLowerCase()));
  } else if (q.has('q')) {
    const v = q.get('q').toLowerCase();
    found = found.filter((u) => [u.profile.firstName, u.profile.lastName, u.profile.email].some((s) => s?.toLowerCase().startsWith(v)));
  } else if (q.has('filter')) {
    return invalid(res, 'filter', ['the fake does not evaluate filter; use search']);
  }
  return send(res, 200, found.slice(0, limit).map(({ credentials, ...u }) => u));
}

function json(req, res, text) {
  if (!/^application\/json(;|$)/.test(req.headers['content-type'] || '')) return void oktaError(res, 415, 'E0000032', 'Unsupported media type. Expected application/json');
  try {
    const body = JSON.parse(text);
    if (body && typeof body === 'object' && !Array.isArray(body)) return body;
  } catch { /* refused below */ }
  return void oktaError(res, 400, 'E0000003', 'The request body was not well-formed.');
}

const CHARS = { numbers: '0123456789', letters: 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz', specialCharacters: '!@#$%^&*' };
function newCode(c) {
  const alphabet = Object.keys(CHARS).filter((k) => k === 'numbers' || c.complexity?.[k]).map((k) => CHARS[k]).join('');
  return Array.from({ length: c.length }, () => alphabet[randomInt(alphabet.length)]).join('');
}

/** POST …/authenticator-enrollments/tac: the seed's body {authenticatorId, authenticatorType, config} or the spec's {authenticatorId, profile}. */
function createTac(req, res, u, text) {
  const b = json(req, res, text);
  if (!b) return;
  const extra = Object.keys(b).filter((k) => !['authenticatorId', 'authenticatorType', 'config', 'profile'].includes(k));
  if (extra.length) return invalid(res, 'enrollment', [`unknown property ${extra.join(', ')}`]);
  if (b.config !== undefined && b.profile !== undefined) return invalid(res, 'enrollment', ['give config (the guide) or profile (the API reference), not both']);
  const auth = tacAuthenticator();
  if (b.authenticatorId !== auth.id) return invalid(res, 'authenticatorId', ['authenticatorId must be the id of the TAC authenticator']);
  if (b.authenticatorType !== undefined && b.authenticatorType !== 'tac') return invalid(res, 'authenticatorType', ['authenticatorType must be tac']);
  const cfg = b.config ?? b.profile ?? {};
  const unknown = Object.keys(cfg).filter((k) => !['ttl', 'multiUse'].includes(k));
  if (unknown.length) return invalid(res, 'enrollment', [`unknown property ${unknown.join(', ')}`]);
  const c = auth.provider.configuration;
  // The guide sends ttl as a number; the API reference types it as a string of digits.
  const ttl = cfg.ttl === undefined ? c.defaultTtl : typeof cfg.ttl === 'string' && /^\d+$/.test(cfg.ttl) ? Number(cfg.ttl) : cfg.ttl;
  if (!Number.isInteger(ttl) || ttl < c.minTtl || ttl > c.maxTtl) return invalid(res, 'ttl', [`ttl: The TTL must be between ${c.minTtl} and ${c.maxTtl} minutes.`]);
  if (cfg.multiUse !== undefined && typeof cfg.multiUse !== 'boolean') return invalid(res, 'multiUse', ['multiUse must be a boolean']);
  if (cfg.multiUse && !c.multiUseAllowed) return invalid(res, 'multiUse', ['multiUse: Multi-use is not allowed by the authenticator configuration.']);
  if (u.status !== 'ACTIVE' && u.status !== 'LOCKED_OUT' && u.status !== 'PASSWORD_EXPIRED' && u.status !== 'RECOVERY') return invalid(res, 'user', [`The user's status ${u.status} does not allow this enrollment.`]);
  const now = Date.now();
  const id = `tac${randomBytes(8).toString('hex').slice(0, 17)}`;
  const e = {
    id, type: 'tac', key: 'tac', name: 'Temporary Access Code', status: 'ACTIVE',
    profile: { tac: newCode(c), multiUse: Boolean(cfg.multiUse), expiresAt: new Date(now + ttl * 60_000).toISOString().slice(0, 19) },
    created: new Date(now).toISOString(), lastUpdated: new Date(now).toISOString(), nickname: '', _links: links(u.id, id),
  };
  // "A user can only have one active TAC at any time": the previous one is gone.
  enrollments.set(u.id, [...enrollments.get(u.id).filter((x) => x.type !== 'tac'), e]);
  return send(res, 200, e);
}

const CONFIG_KEYS = ['minTtl', 'maxTtl', 'defaultTtl', 'length', 'complexity', 'multiUseAllowed'];
/** PUT /api/v1/authenticators/{id}: the whole authenticator, its configuration within AuthenticatorKeyTac's ranges. */
function replaceTac(req, res, a, text) {
  const b = json(req, res, text);
  if (!b) return;
  const extra = Object.keys(b).filter((k) => !['type', 'id', 'key', 'status', 'name', 'created', 'lastUpdated', 'provider', '_links'].includes(k));
  if (extra.length) return invalid(res, 'authenticator', [`unknown property ${extra.join(', ')}`]);
  if (b.key !== 'tac' || typeof b.name !== 'string' || !b.name) return invalid(res, 'authenticator', ['key (tac) and name are required']);
  const c = b.provider?.configuration;
  if (String(b.provider?.type).toLowerCase() !== 'tac' || !c || typeof c !== 'object') return invalid(res, 'provider', ['provider {type: tac, configuration} is required']);
  const causes = [];
  const unknown = Object.keys(c).filter((k) => !CONFIG_KEYS.includes(k));
  if (unknown.length) causes.push(`unknown configuration ${unknown.join(', ')}`);
  for (const [k, lo, hi] of [['minTtl', 10, 14400], ['maxTtl', 10, 14400], ['defaultTtl', 10, 14400], ['length', 8, 64]]) {
    if (!Number.isInteger(c[k]) || c[k] < lo || c[k] > hi) causes.push(`${k}: must be ${lo} to ${hi}`);
  }
  if (!c.complexity || c.complexity.numbers !== true) causes.push('complexity.numbers: must be true');
  if (c.minTtl >= c.maxTtl) causes.push('minTtl: must be less than maxTtl');
  if (c.defaultTtl < c.minTtl || c.defaultTtl > c.maxTtl) causes.push('defaultTtl: must be between minTtl and maxTtl');
  if (c.multiUseAllowed !== undefined && typeof c.multiUseAllowed !== 'boolean') causes.push('multiUseAllowed: must be a boolean');
  if (causes.length) return invalid(res, 'authenticator', causes);
  Object.assign(a, { name: b.name, lastUpdated: new Date().toISOString(), provider: { type: 'TAC', configuration: { ...c } } });
  return send(res, 200, a);
}

const SCOPE = { GET: 'read', POST: 'manage', PUT: 'manage', DELETE: 'manage' };

/** The API routes; `who` is {kind: 'ssws'} or {kind: 'oauth', scopes}. */
async function api(req, res, url, text, who) {
  const p = url.pathname;
  const area = p.startsWith('/api/v1/authenticators') ? 'authenticators' : 'users';
  const scope = `okta.${area}.${SCOPE[req.method] ?? 'manage'}`;
  if (who.kind === 'oauth' && !who.scopes.includes(scope)) {
    return oktaError(res, 403, 'E0000006', 'You do not have permission to perform the requested action', [], { 'www-authenticate': `Bearer error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", scope="${scope}"` });
  }
  let m;
  if (req.method === 'GET' && p === '/api/v1/users') return listUsers(res, url.searchParams);
  if (req.method === 'GET' && (m = /^\/api\/v1\/users\/([^/]+)$/.exec(p))) {
    const ref = decodeURIComponent(m[1]);
    if (ref === 'me') return who.kind === 'ssws' ? send(res, 200, users[0]) : notFound(res, 'me (User)');
    const u = users.find((x) => x.id === ref || x.profile.login.toLowerCase() === ref.toLowerCase() || x.profile.login.split('@')[0].toLowerCase() === ref.toLowerCase());
    return u ? send(res, 200, u) : notFound(res, `${ref} (User)`);
  }
  if ((m = /^\/api\/v1\/users\/([^/]+)\/authenticator-enrollments(?:\/([^/]+))?$/.exec(p))) {
    const u = users.find((x) => x.id === decodeURIComponent(m[1]));
    if (!u) return notFound(res, `${decodeURIComponent(m[1])} (User)`);
    const list = enrollments.get(u.id);
    if (!m[2] && req.method === 'GET') return send(res, 200, list.map(withoutCode));
    if (m[2] === 'tac' && req.method === 'POST') return createTac(req, res, u, text);
    const e = m[2] && list.find((x) => x.id === decodeURIComponent(m[2]));
    if (!e && m[2] && ['GET', 'DELETE'].includes(req.method)) return notFound(res, `${m[2]} (AuthenticatorEnrollment)`);
    if (e && req.method === 'GET') return send(res, 200, withoutCode(e));
    if (e && req.method === 'DELETE') {
      enrollments.set(u.id, list.filter((x) => x !== e));
      return send(res, 204);
    }
  }
  if (req.method === 'GET' && p === '/api/v1/authenticators') return send(res, 200, authenticators);
  if ((m = /^\/api\/v1\/authenticators\/([^/]+)$/.exec(p))) {
    const a = authenticators.find((x) => x.id === m[1]);
    if (!a && ['GET', 'PUT'].includes(req.method)) return notFound(res, `${m[1]} (Authenticator)`);
    if (req.method === 'GET') return send(res, 200, a);
    if (req.method === 'PUT' && a.key === 'tac') return replaceTac(req, res, a, text);
  }
  const known = /^\/api\/v1\/(users(\/[^/]+(\/authenticator-enrollments(\/[^/]+)?)?)?|authenticators(\/[^/]+)?)$/.test(p);
  return known ? oktaError(res, 405, 'E0000022', 'The endpoint does not support the provided HTTP method') : notFound(res, p);
}

export const routes = {
  api,
  setStatus(id, status) {
    const u = users.find((x) => x.id === id);
    if (!u || !STATUSES.includes(status)) return false;
    u.status = status;
    return true;
  },
};
