#!/usr/bin/env node
// A contract fake of Transmit Security Mosaic's temp-code API, for tac's tests and for trying
// `tac --provider mosaic` without a tenant. Plain ESM with node's http only: runs without a build.
//
//   node test/fakes/mosaic-server.mjs --port 8477
//
// prints one JSON line {url, tokenUrl, clientId, clientSecret} and serves until killed.
// Credentials: FAKE_MOSAIC_CLIENT_ID / FAKE_MOSAIC_CLIENT_SECRET (default demo-client / demo-secret).
//
// Shapes, from Transmit's documentation (cited per route below):
//  - token: developer.transmitsecurity.com/guides/user/retrieve_client_tokens/ and
//    TransmitSecurity/ciam-expressjs-vanilla-samples shared/token.js
//  - users: developer.transmitsecurity.com/openapi/user/user.openapi (getUserById, getUserByEmail,
//    getUserByUsername, getUserByIdentifier, getUsers with search_prefix/page_limit), responses
//    wrapped in `result`, errors {message, error_code}; its OpenAPI file is mirrored in
//    github.com/api-evangelist/transmit-security openapi/transmit-security-identity-management-openapi.yml
//  - otp/send, otp/authenticate: developer.transmitsecurity.com/openapi/user/backend-one-time-login/
//    (sendOTP, authenticateOTP; mirrored in api-evangelist/transmit-security
//    openapi/_original/transmit-security-backend-authentication-openapi.yml) and the temp code guide
//    (../shared/seeds/mosaic-journey-temp-code.md, step 6). The two disagree on `expires_in`: the
//    guide says seconds (its example is 600), the OpenAPI file minutes; the fake takes seconds, as
//    the guide for temp codes and tac do.
// It REJECTS what the docs do not describe (wrong content type, missing or extra fields, unknown
// identifier_type, missing/unknown/expired bearer token) with 400/401, rather than echoing.
//
// Control (tests only; no auth, loopback): POST /__control/fail {status, times, path, retryAfter},
// POST /__control/expire-tokens, POST /__control/users {user}, GET /__control/requests.
import { randomBytes, randomInt } from 'node:crypto';
import { createServer } from 'node:http';
import { readBody } from './read-body.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
};
const CLIENT_ID = process.env.FAKE_MOSAIC_CLIENT_ID || 'demo-client';
const CLIENT_SECRET = process.env.FAKE_MOSAIC_CLIENT_SECRET || 'demo-secret';
const TOKEN_TTL = Number(process.env.FAKE_MOSAIC_TOKEN_TTL || 3600);
/** Mosaic's default temp code expiry: 5 minutes; 3 failed attempts lock the code (seed). */
const DEFAULT_EXPIRES_IN = 300;
const MAX_FAILED = 3;

const ms = (iso) => Date.parse(iso);
/** Users as Mosaic returns them: identifiers are objects with `value`, times epoch ms. */
const users = [
  { user_id: 'x7k2mq9alice', username: 'alice', email: { value: 'alice@example.com', email_verified: true }, phone_number: { value: '+15550101010', phone_number_verified: true }, name: { first_name: 'Alice', last_name: 'Smith' }, status: 'Active', created_at: ms('2026-01-05T09:00:00Z'), updated_at: ms('2026-02-01T10:00:00Z') },
  { user_id: 'p3n8bob00001', username: 'bob', email: { value: 'bob@example.com', email_verified: true }, name: { first_name: 'Bob' }, status: 'Active', created_at: ms('2026-01-06T09:00:00Z'), updated_at: ms('2026-01-06T09:00:00Z') },
  { user_id: 'q9w4carol002', email: { value: 'carol@example.com', email_verified: false }, status: 'Disabled', created_at: ms('2026-01-07T09:00:00Z'), updated_at: ms('2026-03-01T09:00:00Z') },
];
const tokens = new Map(); // access token -> expiry (ms)
const codes = new Map(); // user_id -> { code, expiresAt, failed }
const failures = []; // { status, times, path, retryAfter }
const requests = []; // { method, path, contentType, keys }

const send = (res, status, body, headers = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req-${randomBytes(6).toString('hex')}`, ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
};
// BadRequestHttpError has `message` as an array; NotFound/Forbidden/401 as a string.
const bad = (res, message) => send(res, 400, { message: Array.isArray(message) ? message : [message], error_code: 400 });
const fail = (res, status, message, errorCode = status) => send(res, status, { message, error_code: errorCode });

/** The JSON object body of a documented POST: exact content type, required and allowed keys only. */
function jsonBody(req, res, text, required, optional = []) {
  if (!/^application\/json(;|$)/.test(req.headers['content-type'] || '')) return bad(res, 'content-type must be application/json');
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return bad(res, 'body is not JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return bad(res, 'body must be an object');
  const missing = required.filter((k) => body[k] === undefined);
  const extra = Object.keys(body).filter((k) => !required.includes(k) && !optional.includes(k));
  if (missing.length) return bad(res, [`missing: ${missing.join(', ')}`]);
  if (extra.length) return bad(res, [`property ${extra.join(', ')} should not exist`]);
  return body;
}

function authorized(req, res) {
  const m = /^Bearer ([A-Za-z0-9_-]+)$/.exec(req.headers.authorization || '');
  const exp = m && tokens.get(m[1]);
  if (!exp || exp <= Date.now()) {
    fail(res, 401, m ? 'Token expired or unknown' : 'Missing bearer token');
    return false;
  }
  return true;
}

const IDENTIFIER_TYPES = ['email', 'phone_number', 'user_id', 'username'];
function findBy(type, value) {
  if (typeof value !== 'string') return undefined;
  if (type === 'user_id') return users.find((u) => u.user_id === value);
  if (type === 'username') return users.find((u) => u.username === value);
  if (type === 'email') return users.find((u) => u.email?.value === value.toLowerCase());
  return users.find((u) => u.phone_number?.value === value);
}

async function api(req, res, url, text) {
  const path = url.pathname;
  // Token: form POST, grant_type=client_credentials, client_id, client_secret (resource optional).
  if (req.method === 'POST' && path === '/oidc/token') {
    if (!/^application\/x-www-form-urlencoded(;|$)/.test(req.headers['content-type'] || '')) return send(res, 400, { error: 'invalid_request', error_description: 'form body required' });
    const form = new URLSearchParams(text);
    const extra = [...form.keys()].filter((k) => !['grant_type', 'client_id', 'client_secret', 'resource'].includes(k));
    if (extra.length) return send(res, 400, { error: 'invalid_request', error_description: `unexpected ${extra.join(', ')}` });
    if (form.get('grant_type') !== 'client_credentials') return send(res, 400, { error: 'unsupported_grant_type' });
    if (form.get('client_id') !== CLIENT_ID || form.get('client_secret') !== CLIENT_SECRET) return send(res, 401, { error: 'invalid_client', error_description: 'Invalid client credentials' });
    const token = randomBytes(24).toString('base64url');
    tokens.set(token, Date.now() + TOKEN_TTL * 1000);
    return send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: TOKEN_TTL });
  }
  if (!path.startsWith('/cis/v1/')) return fail(res, 404, 'Not found');
  if (!authorized(req, res)) return;

  let m;
  const q = url.searchParams;
  // getUsers: search_prefix matches the start of the primary email or phone number.
  if (req.method === 'GET' && path === '/cis/v1/users') {
    const extra = [...q.keys()].filter((k) => !['search_prefix', 'page_limit', 'page_offset', 'sort_field', 'sort_order'].includes(k));
    if (extra.length) return bad(res, `unexpected query ${extra.join(', ')} (the fake does not evaluate SCIM search)`);
    const limit = q.has('page_limit') ? Number(q.get('page_limit')) : 5000;
    if (!Number.isInteger(limit) || limit < 1 || limit > 5000) return bad(res, 'page_limit must be at most 5000');
    const prefix = q.get('search_prefix');
    const all = prefix === null ? users : users.filter((u) => u.email?.value.startsWith(prefix) || u.phone_number?.value.startsWith(prefix));
    return send(res, 200, { total_count: all.length, page_info: { has_next_page: all.length > limit, has_previous_page: false }, result: all.slice(0, limit) });
  }
  // getUserByIdentifier: identifier_name is email, phoneNumber, username, externalUserId (or custom).
  if (req.method === 'GET' && path === '/cis/v1/users/identifier') {
    const keys = [...q.keys()].sort().join(',');
    if (keys !== 'identifier_name,identifier_value') return bad(res, 'identifier_name and identifier_value are required, nothing else');
    const type = { email: 'email', phoneNumber: 'phone_number', username: 'username' }[q.get('identifier_name')];
    if (!type) return bad(res, `unknown identifier_name ${q.get('identifier_name')}`);
    const u = findBy(type, q.get('identifier_value'));
    return u ? send(res, 200, { result: u }) : fail(res, 404, 'User not found');
  }
  if (req.method === 'GET' && (m = /^\/cis\/v1\/users\/(email|username)\/([^/]+)$/.exec(path))) {
    const u = findBy(m[1], decodeURIComponent(m[2]));
    return u ? send(res, 200, { result: u }) : fail(res, 404, 'User not found');
  }
  if (req.method === 'GET' && (m = /^\/cis\/v1\/users\/([^/]+)$/.exec(path))) {
    const u = findBy('user_id', decodeURIComponent(m[1]));
    return u ? send(res, 200, { result: u }) : fail(res, 404, 'User not found');
  }
  if (req.method === 'POST' && path === '/cis/v1/auth/otp/send') {
    const b = jsonBody(req, res, text, ['channel', 'identifier_type', 'identifier'], [
      'expires_in', 'device_id', 'email_content', 'custom_sms_input', 'approval_data', 'custom_email', 'custom_phone_number', 'client_attributes', 'generate_request_id',
    ]);
    if (!b) return;
    if (!['sms', 'email', 'direct'].includes(b.channel)) return bad(res, 'channel must be one of sms, email, direct');
    if (b.channel !== 'direct') return bad(res, 'the fake only returns codes directly (channel direct), as for a temp code');
    if (!IDENTIFIER_TYPES.includes(b.identifier_type)) return bad(res, [`identifier_type must be one of ${IDENTIFIER_TYPES.join(', ')}`]);
    if (typeof b.identifier !== 'string' || !b.identifier) return bad(res, ['identifier must be a non-empty string']);
    if (b.expires_in !== undefined && !(Number.isInteger(b.expires_in) && b.expires_in > 0)) return bad(res, ['expires_in must be a positive integer (seconds)']);
    const u = findBy(b.identifier_type, b.identifier);
    if (!u) return fail(res, 404, 'User not found', 'user_not_found');
    if (u.status !== 'Active') return fail(res, 403, 'User is not active', 'user_not_active');
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    codes.set(u.user_id, { code, expiresAt: Date.now() + (b.expires_in ?? DEFAULT_EXPIRES_IN) * 1000, failed: 0 });
    return send(res, 200, { message: 'OTP sent', code });
  }
  if (req.method === 'POST' && path === '/cis/v1/auth/otp/authenticate') {
    const b = jsonBody(req, res, text, ['passcode', 'identifier_type', 'identifier'], [
      'resource', 'claims', 'org_id', 'client_attributes', 'device_id', 'session_id', 'request_id',
    ]);
    if (!b) return;
    if (!IDENTIFIER_TYPES.includes(b.identifier_type)) return bad(res, [`identifier_type must be one of ${IDENTIFIER_TYPES.join(', ')}`]);
    const u = findBy(b.identifier_type, b.identifier);
    const c = u && codes.get(u.user_id);
    // authenticateOTP's documented refusals: 400 auth_invalid_credentials / auth_otp_passcode_expired, 403 auth_locked.
    if (c && c.failed >= MAX_FAILED) return fail(res, 403, 'One time code invalid due to multiple failed attempts', 'auth_locked');
    if (c && c.code === b.passcode && c.expiresAt <= Date.now()) return fail(res, 400, 'Passcode expired', 'auth_otp_passcode_expired');
    if (!c || c.code !== b.passcode) {
      if (c) c.failed++;
      return fail(res, 400, 'Invalid credentials', 'auth_invalid_credentials');
    }
    codes.delete(u.user_id); // one sign-in per code
    return send(res, 200, {
      access_token: randomBytes(16).toString('hex'), id_token: randomBytes(16).toString('hex'), refresh_token: randomBytes(16).toString('hex'),
      token_type: 'Bearer', expires_in: 3600, session_id: randomBytes(8).toString('hex'),
    });
  }
  return fail(res, 404, 'Not found');
}

function control(req, res, url, text) {
  const body = text ? JSON.parse(text) : {};
  if (req.method === 'POST' && url.pathname === '/__control/fail') {
    failures.push({ status: body.status, times: body.times ?? 1, path: body.path ?? '/', retryAfter: body.retryAfter });
    return send(res, 204);
  }
  if (req.method === 'POST' && url.pathname === '/__control/expire-tokens') {
    for (const k of tokens.keys()) tokens.set(k, 0);
    return send(res, 204);
  }
  if (req.method === 'POST' && url.pathname === '/__control/users') {
    users.push(body.user);
    return send(res, 204);
  }
  if (req.method === 'GET' && url.pathname === '/__control/requests') return send(res, 200, requests);
  return send(res, 404, { message: 'Not found' });
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://fake');
  const text = await readBody(req);
  if (url.pathname.startsWith('/__control/')) return control(req, res, url, text);
  requests.push({ method: req.method, path: url.pathname, contentType: req.headers['content-type'] ?? null });
  const f = failures.find((x) => x.times > 0 && url.pathname.startsWith(x.path));
  if (f) {
    f.times--;
    const messages = { 401: 'Unauthorized', 403: 'Forbidden resource', 404: 'User not found', 429: 'Too many requests' };
    return send(res, f.status, { message: messages[f.status] ?? 'Internal server error', error_code: f.status }, f.retryAfter !== undefined ? { 'retry-after': String(f.retryAfter) } : {});
  }
  try {
    await api(req, res, url, text);
  } catch (e) {
    send(res, 500, { message: String(e) });
  }
});

server.listen(Number(arg('--port', '0')), arg('--host', '127.0.0.1'), () => {
  const { port } = server.address();
  const url = `http://127.0.0.1:${port}`;
  process.stdout.write(`${JSON.stringify({ url, tokenUrl: `${url}/oidc/token`, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
