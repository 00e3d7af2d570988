#!/usr/bin/env node
// A contract fake of Okta's management API for Temporary Access Codes, for tac's tests and for
// trying `tac --provider okta` without an org. Plain ESM (node's http, and jose for the JWT checks).
//
//   node test/fakes/okta-server.mjs --port 8478
//
// prints one JSON line {url, tokenUrl, apiToken, clientId} and serves until killed.
// Credentials: an API token (FAKE_OKTA_API_TOKEN, default demo-api-token; `Authorization: SSWS …`)
// acting as admin@example.com, and a service app FAKE_OKTA_CLIENT_ID (default demo-okta-client)
// whose public key is FAKE_OKTA_PUBLIC_KEY_FILE (PEM or JWK; FAKE_OKTA_KEY_ID: the kid it must
// carry), granted FAKE_OKTA_SCOPES (default the four tac asks for). FAKE_OKTA_DPOP=1: the app
// requires DPoP (see okta-auth.mjs).
//
// Shapes, from Okta's documentation:
//  - ../shared/seeds/okta-tac-authenticator.md (the TAC authenticator guide: create, generate with
//    {authenticatorId, authenticatorType, config:{ttl, multiUse}}, the response with profile.tac and
//    a zone-less expiresAt, delete);
//  - okta/okta-management-openapi-spec dist/current/management-minimal.yaml: /api/v1/users (search,
//    q, filter, limit, after), /api/v1/users/{id} (also `me` for an API token, logins, short names),
//    /api/v1/users/{userId}/authenticator-enrollments[/tac|/{enrollmentId}], /api/v1/authenticators
//    [/{authenticatorId}] (AuthenticatorKeyTac: ranges), errors {errorCode, errorSummary, errorLink,
//    errorId, errorCauses}; the `profile` request form (AuthenticatorEnrollmentCreateRequestTac) is
//    accepted too, as documented there.
//  - developer.okta.com/docs/reference/rl-global-mgmt/: X-Rate-Limit-* headers; X-Okta-Request-Id.
// It REJECTS what the docs do not describe (wrong method, content type, unknown fields or query
// parameters, missing/unknown credentials, a scope not granted) rather than echoing the client.
//
// Control (tests only; no auth): POST /__control/fail {status, times, path, method, resetIn},
// POST /__control/user-status {id, status}, POST /__control/expire-tokens, GET /__control/requests.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { readBody } from './read-body.mjs';
import { checkAssertion, checkProof, loadPublicKey, newNonce } from './okta-auth.mjs';
import { oktaError, routes, send } from './okta-routes.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
};
const API_TOKEN = process.env.FAKE_OKTA_API_TOKEN || 'demo-api-token';
const CLIENT_ID = process.env.FAKE_OKTA_CLIENT_ID || 'demo-okta-client';
const KEY_ID = process.env.FAKE_OKTA_KEY_ID || undefined;
const SCOPES = (process.env.FAKE_OKTA_SCOPES || 'okta.users.read okta.users.manage okta.authenticators.read okta.authenticators.manage').split(' ');
const DPOP = process.env.FAKE_OKTA_DPOP === '1';
const TOKEN_TTL = 3600;
const publicKey = await loadPublicKey(process.env.FAKE_OKTA_PUBLIC_KEY_FILE);

const tokens = new Map(); // access token -> {exp, scopes, jkt}
const failures = []; // {status, times, path, method, resetIn}
const requests = []; // {method, path, query, auth, contentType}
let tokenNonce = newNonce();
let resourceNonce = newNonce();

const oauthError = (res, status, error, description, headers = {}) => send(res, status, { error, error_description: description }, headers);

const FORM_KEYS = ['grant_type', 'scope', 'client_assertion_type', 'client_assertion', 'client_id'];
/** POST /oauth2/v1/token: client credentials with private_key_jwt (client secrets are not accepted for Okta's management scopes). */
async function token(req, res, url, text) {
  if (!/^application\/x-www-form-urlencoded(;|$)/.test(req.headers['content-type'] || '')) return oauthError(res, 400, 'invalid_request', 'The request must be form-encoded.');
  const form = new URLSearchParams(text);
  const extra = [...form.keys()].filter((k) => !FORM_KEYS.includes(k));
  if (form.has('client_secret')) return oauthError(res, 401, 'invalid_client', 'Client secrets are not accepted for Okta management scopes; use private_key_jwt.');
  if (extra.length) return oauthError(res, 400, 'invalid_request', `Unexpected parameter ${extra.join(', ')}.`);
  if (form.get('grant_type') !== 'client_credentials') return oauthError(res, 400, 'unsupported_grant_type', 'The grant type is not supported.');
  if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return oauthError(res, 400, 'invalid_request', 'client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.');
  if (form.has('client_id') && form.get('client_id') !== CLIENT_ID) return oauthError(res, 401, 'invalid_client', 'Invalid value for client_id parameter.');
  const tokenUrl = `${url.origin}/oauth2/v1/token`;
  const bad = await checkAssertion(form.get('client_assertion') || '', { publicKey: publicKey?.key, clientId: CLIENT_ID, tokenUrl, kid: KEY_ID ?? publicKey?.kid });
  if (bad) return oauthError(res, 401, 'invalid_client', bad);
  const asked = (form.get('scope') || '').split(' ').filter(Boolean);
  if (!asked.length) return oauthError(res, 400, 'invalid_scope', 'The scope parameter is required.');
  const denied = asked.filter((s) => !SCOPES.includes(s));
  if (denied.length) return oauthError(res, 400, 'invalid_scope', `The following scopes are not allowed: [${denied.join(', ')}]`);
  let jkt;
  if (DPOP) {
    const p = await checkProof(req.headers.dpop, { method: 'POST', url: tokenUrl, nonce: tokenNonce });
    if (p.error) return oauthError(res, 400, p.error, p.description, p.error === 'use_dpop_nonce' ? { 'dpop-nonce': tokenNonce } : {});
    jkt = p.jkt;
  } else if (req.headers.dpop) {
    return oauthError(res, 400, 'invalid_dpop_proof', 'DPoP proof is not allowed for this client.');
  }
  const access = randomBytes(24).toString('base64url');
  tokens.set(access, { exp: Date.now() + TOKEN_TTL * 1000, scopes: asked, jkt });
  return send(res, 200, { token_type: DPOP ? 'DPoP' : 'Bearer', expires_in: TOKEN_TTL, access_token: access, scope: asked.join(' ') });
}

/**
 * Who calls: {kind: 'ssws'} or {kind: 'oauth', scopes}; otherwise the 401 is sent and undefined
 * returned. A DPoP-bound token needs `Authorization: DPoP` and a proof by the same key.
 */
async function caller(req, res, url) {
  const auth = req.headers.authorization || '';
  if (auth === `SSWS ${API_TOKEN}`) return { kind: 'ssws' };
  const m = /^(Bearer|DPoP) ([A-Za-z0-9_-]+)$/.exec(auth);
  const t = m && tokens.get(m[2]);
  if (!t || t.exp <= Date.now()) return void oktaError(res, 401, 'E0000011', 'Invalid token provided');
  if (!t.jkt) return m[1] === 'Bearer' ? { kind: 'oauth', scopes: t.scopes } : void oktaError(res, 401, 'E0000011', 'Invalid token provided');
  if (m[1] !== 'DPoP') return void oktaError(res, 401, 'E0000011', 'Invalid token provided', [], { 'www-authenticate': 'DPoP error="invalid_token"' });
  const p = await checkProof(req.headers.dpop, { method: req.method, url: `${url.origin}${url.pathname}`, nonce: resourceNonce, accessToken: m[2] });
  if (p.error === 'use_dpop_nonce') {
    return void oktaError(res, 401, 'E0000011', 'Invalid token provided', [], { 'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"', 'dpop-nonce': resourceNonce });
  }
  if (p.error || p.jkt !== t.jkt) return void oktaError(res, 401, 'E0000011', 'Invalid token provided', [], { 'www-authenticate': `DPoP error="invalid_dpop_proof", error_description="${p.description ?? 'key mismatch'}"` });
  return { kind: 'oauth', scopes: t.scopes };
}

function control(req, res, url, text) {
  const body = text ? JSON.parse(text) : {};
  if (req.method === 'POST' && url.pathname === '/__control/fail') {
    failures.push({ status: body.status, times: body.times ?? 1, path: body.path ?? '/', method: body.method, resetIn: body.resetIn });
    return send(res, 204);
  }
  if (req.method === 'POST' && url.pathname === '/__control/user-status') return routes.setStatus(body.id, body.status) ? send(res, 204) : send(res, 404, {});
  if (req.method === 'POST' && url.pathname === '/__control/expire-tokens') {
    for (const t of tokens.values()) t.exp = 0;
    return send(res, 204);
  }
  if (req.method === 'GET' && url.pathname === '/__control/requests') return send(res, 200, requests);
  return send(res, 404, {});
}

const FAILURES = {
  401: ['E0000011', 'Invalid token provided'], 403: ['E0000006', 'You do not have permission to perform the requested action'],
  404: ['E0000007', 'Not found: Resource not found'], 429: ['E0000047', 'API call exceeded rate limit due to too many requests.'],
};

const server = createServer(async (req, res) => {
  const url = new URL(req.url, `http://${req.headers.host}`);
  const text = await readBody(req);
  if (url.pathname.startsWith('/__control/')) return control(req, res, url, text);
  const auth = /^(\S+)/.exec(req.headers.authorization || '')?.[1] ?? null;
  requests.push({ method: req.method, path: url.pathname, query: url.search, auth, contentType: req.headers['content-type'] ?? null });
  const f = failures.find((x) => x.times > 0 && url.pathname.startsWith(x.path) && (!x.method || x.method === req.method));
  if (f) {
    f.times--;
    const [code, summary] = FAILURES[f.status] ?? ['E0000009', 'Internal Server Error'];
    const headers = f.status === 429 ? { 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(Math.floor(Date.now() / 1000) + (f.resetIn ?? 1)) } : {};
    return oktaError(res, f.status, code, summary, [], headers);
  }
  try {
    if (url.pathname === '/oauth2/v1/token') return req.method === 'POST' ? await token(req, res, url, text) : oktaError(res, 405, 'E0000022', 'The endpoint does not support the provided HTTP method');
    if (!url.pathname.startsWith('/api/v1/')) return oktaError(res, 404, 'E0000007', `Not found: Resource not found: ${url.pathname}`);
    const who = await caller(req, res, url);
    if (who) await routes.api(req, res, url, text, who);
  } catch (e) {
    oktaError(res, 500, 'E0000009', `Internal Server Error: ${e.message}`);
  }
});

server.listen(Number(arg('--port', '0')), arg('--host', '127.0.0.1'), () => {
  const { port } = server.address();
  const url = `http://127.0.0.1:${port}`;
  process.stdout.write(`${JSON.stringify({ url, tokenUrl: `${url}/oauth2/v1/token`, apiToken: API_TOKEN, clientId: CLIENT_ID, dpop: DPOP })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// Rotated now and then, as a server's nonces are (RFC 9449 §8): a client must follow DPoP-Nonce.
setInterval(() => {
  tokenNonce = newNonce();
  resourceNonce = newNonce();
}, 60_000).unref();
