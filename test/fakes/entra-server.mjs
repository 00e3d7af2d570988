#!/usr/bin/env node
// A contract fake of Microsoft Entra ID for tac: the v2.0 token endpoint and the Microsoft Graph
// v1.0 calls tac makes for Temporary Access Passes. Plain ESM with node's http and crypto only.
//
//   node test/fakes/entra-server.mjs --port 8479 [--cert cert.pem]
//
// prints one JSON line {url, tokenUrl, tenant, clientId, clientSecret} and serves until killed.
// Credentials: FAKE_ENTRA_TENANT, FAKE_ENTRA_CLIENT_ID, FAKE_ENTRA_CLIENT_SECRET; --cert (or
// FAKE_ENTRA_CERT_FILE) is the PEM certificate registered on the app for certificate credentials.
//
// Shapes, from microsoftgraph/microsoft-graph-docs-contrib (api-reference/v1.0/) and Microsoft
// identity platform docs (learn.microsoft.com/entra/identity-platform/):
//  - token: v2-oauth2-client-creds-grant-flow (client_secret, or client_assertion_type
//    urn:ietf:params:oauth:client-assertion-type:jwt-bearer + client_assertion per
//    certificate-credentials: RS256/PS256, header x5t or x5t#S256, aud = the token URL,
//    iss = sub = client id, exp, jti), scope must be {resource}/.default; errors
//    {error, error_description "AADSTSnnnn: …", error_codes, timestamp, trace_id, correlation_id}
//  - users: api/user-get.md, api/user-list.md ($select, $filter eq/startswith, $top), resources/user.md
//    (accountEnabled and userType are not in the default property set: only with $select)
//  - passes: api/authentication-post-temporaryaccesspassmethods.md (201; lifetimeInMinutes 10–43200;
//    one pass per user, the previous one is deleted), authentication-list-temporaryaccesspassmethods.md,
//    temporaryaccesspassauthenticationmethod-get.md / -delete.md (204), resources/temporaryaccesspassauthenticationmethod.md
//  - policy: temporaryaccesspassauthenticationmethodconfiguration-get.md / -update.md (PATCH needs
//    "@odata.type", returns 204) / -delete.md (reverts to defaults), resources/temporaryaccesspassauthenticationmethodconfiguration.md
//  - errors: concepts/errors.md {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}},
//    request-id header; 429 with Retry-After (concepts/throttling.md)
//  - permissions: the pages' "Application" rows; the roles claim of the app token carries them.
// It REJECTS what the docs do not describe (wrong content type, unknown fields, out-of-range values,
// a $filter it does not implement, a wrong scope, a missing/unknown/expired bearer), never echoing.
//
// Control (tests only; no auth, loopback): POST /__control/fail {status, times, path, method, retryAfter, code},
// /__control/expire-tokens, /__control/users {user}, /__control/roles {roles}, /__control/use-pass {userId},
// /__control/certificate {pem}; GET /__control/requests.
import { createHash, randomBytes, randomInt, randomUUID, verify as verifySignature, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { filterUsers } from './entra-filter.mjs';
import { readBody } from './read-body.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
};
const TENANT = process.env.FAKE_ENTRA_TENANT || 'contoso.onmicrosoft.com';
const TENANT_ID = 'f1e2d3c4-0000-4000-8000-00000000c0de';
const CLIENT_ID = process.env.FAKE_ENTRA_CLIENT_ID || '11111111-2222-4333-8444-555555555555';
const CLIENT_SECRET = process.env.FAKE_ENTRA_CLIENT_SECRET || 'demo~secret.value';
const TOKEN_TTL = Number(process.env.FAKE_ENTRA_TOKEN_TTL || 3599);
const ALL_ROLES = ['UserAuthenticationMethod.ReadWrite.All', 'User.Read.All', 'Policy.ReadWrite.AuthenticationMethod'];
let roles = process.env.FAKE_ENTRA_ROLES ? process.env.FAKE_ENTRA_ROLES.split(',') : ALL_ROLES;
const certFile = arg('--cert', process.env.FAKE_ENTRA_CERT_FILE);
let cert = certFile ? new X509Certificate(readFileSync(certFile)) : undefined;

const USER_PROPS = ['id', 'displayName', 'givenName', 'surname', 'userPrincipalName', 'mail', 'mobilePhone', 'businessPhones', 'jobTitle', 'officeLocation', 'preferredLanguage', 'accountEnabled', 'userType', 'createdDateTime'];
const DEFAULT_PROPS = ['businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName', 'id'];
const user = (id, upn, displayName, extra = {}) => ({
  id, userPrincipalName: upn, displayName, mail: upn, mobilePhone: null, businessPhones: [], givenName: displayName.split(' ')[0], surname: displayName.split(' ')[1] ?? null,
  jobTitle: null, officeLocation: null, preferredLanguage: 'en-US', accountEnabled: true, userType: 'Member', createdDateTime: '2026-01-05T09:00:00Z', ...extra,
});
const users = [
  user('4a1c6f2e-1a2b-4c3d-8e9f-0a1b2c3d4e5f', 'alice@contoso.com', 'Alice Smith', { mobilePhone: '+1 555 010 1010' }),
  user('7b2d8e3f-2b3c-4d4e-9f0a-1b2c3d4e5f60', 'bob@contoso.com', 'Bob Jones', { mail: 'bob.jones@contoso.com', businessPhones: ['+1 555 020 2020'] }),
  user('9c3e0f4a-3c4d-4e5f-8a1b-2c3d4e5f6071', 'carol@contoso.com', 'Carol White', { accountEnabled: false }),
  user('0d4f1a5b-4d5e-4f6a-9b2c-3d4e5f607182', "o'brien@contoso.com", "Pat O'Brien", { userType: 'Guest', mail: null }),
];
const DEFAULT_POLICY = { state: 'enabled', defaultLifetimeInMinutes: 60, defaultLength: 8, minimumLifetimeInMinutes: 60, maximumLifetimeInMinutes: 480, isUsableOnce: false };
let policy = { ...DEFAULT_POLICY };
const tokens = new Map(); // access token -> expiry (ms)
const usedJtis = new Set();
const passes = new Map(); // user id -> pass (with the code only to hand out at creation)
const failures = [];
const requests = [];

const send = (res, status, body, headers = {}) => {
  res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': 'application/json; odata.metadata=minimal' }), ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
};
/** Graph's error body; the request id in the header and in innerError. */
const graphError = (res, status, code, message, headers = {}) => {
  const id = randomUUID();
  send(res, status, { error: { code, message, innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': id, 'client-request-id': id } } }, { 'request-id': id, 'client-request-id': id, ...headers });
};
/** The identity platform's error body: AADSTS code first in the description, then trace lines. */
const tokenError = (res, status, error, aadsts, text) => send(res, status, {
  error, error_description: `AADSTS${aadsts}: ${text}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
  error_codes: [aadsts], timestamp: new Date().toISOString(), trace_id: randomUUID(), correlation_id: randomUUID(), error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
});

const b64json = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
const jwt = (payload) => `${Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid: 'fake' })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${randomBytes(32).toString('base64url')}`;

/** A certificate client assertion: why it is refused, or undefined when it holds. */
function assertionProblem(assertion, audience) {
  if (!cert) return [700027, 'The app has no certificate registered (start the fake with --cert).'];
  const parts = assertion.split('.');
  if (parts.length !== 3) return [50027, 'JWT token is invalid or malformed.'];
  let header, claims;
  try {
    header = b64json(parts[0]);
    claims = b64json(parts[1]);
  } catch {
    return [50027, 'JWT token is invalid or malformed.'];
  }
  const der = cert.raw;
  const s256 = createHash('sha256').update(der).digest('base64url');
  const s1 = createHash('sha1').update(der).digest('base64url');
  if (header['x5t#S256'] === undefined && header.x5t === undefined) return [700027, 'Client assertion contains no x5t or x5t#S256 header.'];
  if ((header['x5t#S256'] !== undefined && header['x5t#S256'] !== s256) || (header.x5t !== undefined && header.x5t !== s1)) {
    return [700027, 'The certificate with identifier used to sign the client assertion is not registered on application.'];
  }
  const algs = { RS256: { digest: 'sha256' }, PS256: { digest: 'sha256', padding: 6 } };
  const alg = algs[header.alg];
  if (!alg) return [5002738, `Invalid JWT token. '${String(header.alg).slice(0, 10)}' is not a supported signature algorithm.`];
  const key = alg.padding ? { key: cert.publicKey, padding: alg.padding, saltLength: 32 } : cert.publicKey;
  if (!verifySignature(alg.digest, Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2], 'base64url'))) {
    return [700027, 'Client assertion failed signature validation.'];
  }
  const now = Math.floor(Date.now() / 1000);
  if (claims.aud !== audience) return [700212, `No matching federated identity record found for presented assertion audience '${String(claims.aud).slice(0, 100)}'.`];
  if (claims.iss !== CLIENT_ID || claims.sub !== CLIENT_ID) return [700021, 'Client assertion application identifier doesn\'t match \'client_id\' parameter.'];
  if (typeof claims.exp !== 'number' || claims.exp <= now) return [700024, 'Client assertion is not within its valid time range.'];
  if (typeof claims.nbf === 'number' && claims.nbf > now + 300) return [700024, 'Client assertion is not within its valid time range.'];
  if (typeof claims.jti !== 'string' || !claims.jti) return [700023, 'Client assertion has no jti.'];
  if (usedJtis.has(claims.jti)) return [700025, 'Client assertion jti was already used (replay).'];
  usedJtis.add(claims.jti);
  return undefined;
}

function token(req, res, tenant, text, audience) {
  if (!/^application\/x-www-form-urlencoded(;|$)/.test(req.headers['content-type'] || '')) return tokenError(res, 400, 'invalid_request', 900144, 'The request body must contain the following parameter: \'grant_type\'.');
  if (tenant !== TENANT && tenant !== TENANT_ID) return tokenError(res, 400, 'invalid_request', 90002, `Tenant '${tenant.slice(0, 80)}' not found.`);
  const form = new URLSearchParams(text);
  const allowed = ['grant_type', 'client_id', 'scope', 'client_secret', 'client_assertion_type', 'client_assertion'];
  const extra = [...form.keys()].filter((k) => !allowed.includes(k));
  if (extra.length) return tokenError(res, 400, 'invalid_request', 900144, `Unexpected parameter: '${extra[0].slice(0, 40)}'.`);
  if (form.get('grant_type') !== 'client_credentials') return tokenError(res, 400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
  if (form.get('client_id') !== CLIENT_ID) return tokenError(res, 400, 'unauthorized_client', 700016, `Application with identifier '${String(form.get('client_id')).slice(0, 60)}' was not found in the directory '${TENANT}'.`);
  if (form.get('scope') !== 'https://graph.microsoft.com/.default') return tokenError(res, 400, 'invalid_scope', 1002012, 'The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).');
  const secret = form.get('client_secret');
  const assertion = form.get('client_assertion');
  if ((secret === null) === (assertion === null)) return tokenError(res, 401, 'invalid_client', 7000218, 'The request body must contain the following parameter: \'client_assertion\' or \'client_secret\'.');
  if (secret !== null && secret !== CLIENT_SECRET) return tokenError(res, 401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${CLIENT_ID}'.`);
  if (assertion !== null) {
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return tokenError(res, 400, 'invalid_request', 90014, 'The required field \'client_assertion_type\' is missing or wrong.');
    const problem = assertionProblem(assertion, audience);
    if (problem) return tokenError(res, 401, 'invalid_client', ...problem);
  } else if (form.has('client_assertion_type')) return tokenError(res, 400, 'invalid_request', 900144, 'client_assertion_type without client_assertion.');
  const now = Math.floor(Date.now() / 1000);
  const access = jwt({ aud: 'https://graph.microsoft.com', iss: `https://sts.windows.net/${TENANT_ID}/`, iat: now, nbf: now, exp: now + TOKEN_TTL, appid: CLIENT_ID, idtyp: 'app', roles, tid: TENANT_ID, sub: randomUUID() });
  tokens.set(access, { exp: Date.now() + TOKEN_TTL * 1000, roles });
  return send(res, 200, { token_type: 'Bearer', expires_in: TOKEN_TTL, ext_expires_in: TOKEN_TTL, access_token: access });
}

/** Each call's application permissions (any one suffices), from the docs' permission tables. */
const PERMISSIONS = {
  users: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  readPasses: ['UserAuthenticationMethod.Read.All', 'UserAuthenticationMethod.ReadWrite.All'],
  writePasses: ['UserAuthenticationMethod.ReadWrite.All'],
  readPolicy: ['Policy.Read.All', 'Policy.ReadWrite.AuthenticationMethod'],
  writePolicy: ['Policy.ReadWrite.AuthenticationMethod'],
};

function bearer(req, res) {
  const m = /^Bearer (\S+)$/.exec(req.headers.authorization || '');
  if (!m) return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
  const t = tokens.get(m[1]);
  if (!t || t.exp <= Date.now()) return graphError(res, 401, 'InvalidAuthenticationToken', t ? 'Lifetime validation failed, the token is expired.' : 'IDX14100: JWT is not well formed.');
  return t;
}
const allowedTo = (t, res, need, code = 'Authorization_RequestDenied') => need.some((r) => t.roles.includes(r)) || void graphError(res, 403, code, code === 'accessDenied' ? 'Request Authorization failed' : 'Insufficient privileges to complete the operation.');

/** Only the documented query options of each call. */
function queryProblem(q, allowed) {
  const extra = [...q.keys()].filter((k) => !allowed.includes(k));
  if (extra.length) return `Query option '${extra[0].slice(0, 40)}' is not allowed.`;
  const select = q.get('$select');
  if (select !== null) {
    const bad = select.split(',').find((p) => !USER_PROPS.includes(p));
    if (bad !== undefined) return `Could not find a property named '${bad.slice(0, 40)}' on type 'microsoft.graph.user'.`;
  }
  return undefined;
}
const shape = (u, select) => {
  const props = select ? select.split(',') : DEFAULT_PROPS;
  return Object.fromEntries(props.map((p) => [p, u[p] ?? null]));
};

function jsonBody(req, res, text) {
  if (!/^application\/json(;|$)/.test(req.headers['content-type'] || '')) return void graphError(res, 415, 'UnsupportedMediaType', 'Content-Type must be application/json.');
  try {
    const body = JSON.parse(text);
    if (body && typeof body === 'object' && !Array.isArray(body)) return body;
  } catch { /* below */ }
  return void graphError(res, 400, 'BadRequest', 'Unable to read JSON request payload.');
}

const passView = (p, withCode) => {
  const start = Date.parse(p.startDateTime);
  const now = Date.now();
  const reason = policy.state !== 'enabled' ? 'DisabledByPolicy' : p.used ? 'OneTimeUsed' : start > now ? 'NotYetValid' : start + p.lifetimeInMinutes * 60_000 <= now ? 'Expired' : 'EnabledByPolicy';
  return {
    '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethod', id: p.id, temporaryAccessPass: withCode ? p.code : null,
    createdDateTime: p.createdDateTime, startDateTime: p.startDateTime, lifetimeInMinutes: p.lifetimeInMinutes, isUsableOnce: p.isUsableOnce,
    isUsable: reason === 'EnabledByPolicy', methodUsabilityReason: reason,
  };
};
const int = (v) => Number.isInteger(v);
/** Graph's TAP alphabet includes symbols (the docs' example is "+drkzqAD"). */
const ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789+%@#!$';
const newCode = (n) => Array.from({ length: n }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');

function createPass(req, res, u, text) {
  const b = jsonBody(req, res, text);
  if (!b) return;
  const extra = Object.keys(b).filter((k) => !['startDateTime', 'lifetimeInMinutes', 'isUsableOnce', '@odata.type'].includes(k));
  if (extra.length) return graphError(res, 400, 'BadRequest', `The property '${extra[0].slice(0, 40)}' does not exist on type 'microsoft.graph.temporaryAccessPassAuthenticationMethod'.`);
  if (b.lifetimeInMinutes !== undefined && !(int(b.lifetimeInMinutes) && b.lifetimeInMinutes >= 10 && b.lifetimeInMinutes <= 43200)) return graphError(res, 400, 'badRequest', 'lifetimeInMinutes must be between 10 and 43200.');
  if (b.isUsableOnce !== undefined && typeof b.isUsableOnce !== 'boolean') return graphError(res, 400, 'BadRequest', 'isUsableOnce must be a Boolean.');
  if (b.startDateTime !== undefined && (typeof b.startDateTime !== 'string' || Number.isNaN(Date.parse(b.startDateTime)))) return graphError(res, 400, 'BadRequest', 'startDateTime is not a valid DateTimeOffset.');
  if (policy.state !== 'enabled') return graphError(res, 400, 'badRequest', 'Temporary Access Pass is disabled by the authentication methods policy.');
  const lifetime = b.lifetimeInMinutes ?? policy.defaultLifetimeInMinutes;
  if (lifetime < policy.minimumLifetimeInMinutes || lifetime > policy.maximumLifetimeInMinutes) return graphError(res, 400, 'badRequest', 'The lifetime is outside the range the Temporary Access Pass policy allows.');
  if (b.isUsableOnce === false && policy.isUsableOnce) return graphError(res, 400, 'badRequest', 'The Temporary Access Pass policy allows one-time passes only.');
  const now = new Date().toISOString();
  const p = { id: randomUUID(), code: newCode(policy.defaultLength), createdDateTime: now, startDateTime: b.startDateTime ? new Date(b.startDateTime).toISOString() : now, lifetimeInMinutes: lifetime, isUsableOnce: b.isUsableOnce ?? policy.isUsableOnce, used: false };
  passes.set(u.id, p); // one pass per user: the previous one is deleted
  return send(res, 201, { '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#users('${u.id}')/authentication/temporaryAccessPassMethods/$entity`, ...passView(p, true) });
}

function patchPolicy(req, res, text) {
  const b = jsonBody(req, res, text);
  if (!b) return;
  if (b['@odata.type'] !== '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration') return graphError(res, 400, 'BadRequest', 'The @odata.type property must be #microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration.');
  const fields = ['state', 'defaultLifetimeInMinutes', 'defaultLength', 'minimumLifetimeInMinutes', 'maximumLifetimeInMinutes', 'isUsableOnce', 'includeTargets', 'excludeTargets'];
  const extra = Object.keys(b).filter((k) => k !== '@odata.type' && !fields.includes(k));
  if (extra.length) return graphError(res, 400, 'BadRequest', `The property '${extra[0].slice(0, 40)}' does not exist on type 'microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration'.`);
  const next = { ...policy, ...Object.fromEntries(Object.entries(b).filter(([k]) => k !== '@odata.type' && k !== 'includeTargets' && k !== 'excludeTargets')) };
  const lifetimes = ['defaultLifetimeInMinutes', 'minimumLifetimeInMinutes', 'maximumLifetimeInMinutes'];
  if (!['enabled', 'disabled'].includes(next.state)) return graphError(res, 400, 'badRequest', 'state must be enabled or disabled.');
  if (lifetimes.some((k) => !(int(next[k]) && next[k] >= 10 && next[k] <= 43200))) return graphError(res, 400, 'badRequest', 'Lifetimes must be between 10 and 43200 minutes.');
  if (!(next.minimumLifetimeInMinutes <= next.defaultLifetimeInMinutes && next.defaultLifetimeInMinutes <= next.maximumLifetimeInMinutes)) return graphError(res, 400, 'badRequest', 'defaultLifetimeInMinutes must be between minimumLifetimeInMinutes and maximumLifetimeInMinutes.');
  if (!(int(next.defaultLength) && next.defaultLength >= 8 && next.defaultLength <= 48)) return graphError(res, 400, 'badRequest', 'defaultLength must be between 8 and 48.');
  if (typeof next.isUsableOnce !== 'boolean') return graphError(res, 400, 'BadRequest', 'isUsableOnce must be a Boolean.');
  policy = next;
  return send(res, 204);
}

const POLICY_PATH = /^\/v1\.0\/policies\/authenticationMethodsPolicy\/authenticationMethodConfigurations\/temporaryAccessPass$/i;

async function graph(req, res, url, text) {
  const path = url.pathname;
  const q = url.searchParams;
  const t = bearer(req, res);
  if (!t) return;
  let m;
  if (POLICY_PATH.test(path)) {
    if (req.method === 'GET') {
      if (!allowedTo(t, res, PERMISSIONS.readPolicy)) return;
      return send(res, 200, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#authenticationMethodConfigurations/$entity', '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration', id: 'TemporaryAccessPass', ...policy, includeTargets: [{ targetType: 'group', id: 'all_users', isRegistrationRequired: false }], excludeTargets: [] });
    }
    if (req.method === 'PATCH') return allowedTo(t, res, PERMISSIONS.writePolicy) && patchPolicy(req, res, text);
    if (req.method === 'DELETE') {
      if (!allowedTo(t, res, PERMISSIONS.writePolicy)) return;
      policy = { ...DEFAULT_POLICY };
      return send(res, 204);
    }
  }
  if (req.method === 'GET' && path === '/v1.0/users') {
    if (!allowedTo(t, res, PERMISSIONS.users)) return;
    const problem = queryProblem(q, ['$filter', '$select', '$top']);
    if (problem) return graphError(res, 400, 'BadRequest', problem);
    const top = q.has('$top') ? Number(q.get('$top')) : 100;
    if (!int(top) || top < 1 || top > 999) return graphError(res, 400, 'BadRequest', 'Invalid page size specified: \'$top\' must be between 1 and 999.');
    const found = q.has('$filter') ? filterUsers(users, q.get('$filter')) : users;
    if (found.error) return graphError(res, 400, found.code, found.error);
    return send(res, 200, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users', value: found.slice(0, top).map((u) => shape(u, q.get('$select'))) });
  }
  if (!(m = /^\/v1\.0\/users\/([^/]+)(\/authentication\/temporaryAccessPassMethods(?:\/([^/]+))?)?$/.exec(path))) return graphError(res, 400, 'BadRequest', `Resource not found for the segment '${path.split('/').pop().slice(0, 40)}'.`);
  const ref = decodeURIComponent(m[1]).toLowerCase();
  const u = users.find((x) => x.id === ref || x.userPrincipalName.toLowerCase() === ref);
  if (!m[2]) {
    if (req.method !== 'GET') return graphError(res, 405, 'Request_BadRequest', 'The method is not allowed here.');
    if (!allowedTo(t, res, PERMISSIONS.users)) return;
    const problem = queryProblem(q, ['$select']);
    if (problem) return graphError(res, 400, 'BadRequest', problem);
    if (!u) return graphError(res, 404, 'Request_ResourceNotFound', `Resource '${ref.slice(0, 80)}' does not exist or one of its queried reference-property objects are not present.`);
    return send(res, 200, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity', ...shape(u, q.get('$select')) });
  }
  if ([...q.keys()].length) return graphError(res, 400, 'BadRequest', 'This method does not support query parameters.');
  const need = req.method === 'GET' ? PERMISSIONS.readPasses : PERMISSIONS.writePasses;
  if (!allowedTo(t, res, need, 'accessDenied')) return;
  if (!u) return graphError(res, 404, 'Request_ResourceNotFound', `Resource '${ref.slice(0, 80)}' does not exist or one of its queried reference-property objects are not present.`);
  const p = passes.get(u.id);
  if (!m[3] && req.method === 'GET') return send(res, 200, { '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#users('${u.id}')/authentication/temporaryAccessPassMethods`, value: p ? [passView(p, false)] : [] });
  if (!m[3] && req.method === 'POST') return createPass(req, res, u, text);
  if (m[3] && (req.method === 'GET' || req.method === 'DELETE')) {
    if (!p || p.id !== decodeURIComponent(m[3])) return graphError(res, 404, 'itemNotFound', 'The requested Temporary Access Pass was not found.');
    if (req.method === 'GET') return send(res, 200, passView(p, false));
    passes.delete(u.id);
    return send(res, 204);
  }
  return graphError(res, 405, 'Request_BadRequest', 'The method is not allowed here.');
}

function control(req, res, url, text) {
  const body = text ? JSON.parse(text) : {};
  const p = url.pathname.slice('/__control/'.length);
  if (req.method === 'GET' && p === 'requests') return send(res, 200, requests);
  if (req.method !== 'POST') return send(res, 404, { error: 'not found' });
  if (p === 'fail') failures.push({ status: body.status, times: body.times ?? 1, path: body.path ?? '/', method: body.method, retryAfter: body.retryAfter, code: body.code });
  else if (p === 'expire-tokens') for (const v of tokens.values()) v.exp = 0;
  else if (p === 'users') users.push(user(body.id, body.userPrincipalName, body.displayName, body));
  else if (p === 'roles') roles = body.roles;
  else if (p === 'use-pass') passes.get(body.userId).used = true;
  else if (p === 'certificate') cert = new X509Certificate(body.pem);
  else return send(res, 404, { error: 'not found' });
  return send(res, 204);
}

const INJECTED = { 400: 'badRequest', 401: 'InvalidAuthenticationToken', 403: 'Authorization_RequestDenied', 404: 'Request_ResourceNotFound', 429: 'TooManyRequests', 500: 'generalException', 503: 'serviceNotAvailable' };
const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://fake');
  const text = await readBody(req);
  if (url.pathname.startsWith('/__control/')) return control(req, res, url, text);
  requests.push({ method: req.method, path: url.pathname, query: url.search, contentType: req.headers['content-type'] ?? null });
  const f = failures.find((x) => x.times > 0 && url.pathname.startsWith(x.path) && (!x.method || x.method === req.method));
  if (f) {
    f.times--;
    return graphError(res, f.status, f.code ?? INJECTED[f.status] ?? 'generalException', f.status === 429 ? 'Too many requests.' : `Injected HTTP ${f.status}.`, f.retryAfter !== undefined ? { 'retry-after': String(f.retryAfter) } : {});
  }
  let m;
  try {
    if (req.method === 'POST' && (m = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname))) return token(req, res, decodeURIComponent(m[1]), text, `${base()}${url.pathname}`);
    if (url.pathname.startsWith('/v1.0/')) return await graph(req, res, url, text);
    return graphError(res, 404, 'NotFound', 'Not found.');
  } catch (e) {
    return graphError(res, 500, 'generalException', String(e).slice(0, 200));
  }
});
const base = () => `http://127.0.0.1:${server.address().port}`;

server.listen(Number(arg('--port', '0')), arg('--host', '127.0.0.1'), () => {
  process.stdout.write(`${JSON.stringify({ url: base(), tokenUrl: `${base()}/${TENANT}/oauth2/v2.0/token`, tenant: TENANT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
