import { TacError } from '../../core/errors.js';
import type { ProviderCredential } from '../providers.js';
import { parseJson, type HttpResponse } from '../remote-http.js';

/*
 * The Microsoft identity platform's client credentials grant (learn.microsoft.com/entra/identity-platform/
 * v2-oauth2-client-creds-grant-flow and certificate-credentials): the form tac posts and how it
 * reads the refusals, whose `error_description` starts with an AADSTS code.
 */

/** The only scope an app-only Graph token takes: every application permission granted to the app. */
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The token request's form: the client secret, or a certificate assertion signed for this token URL. */
export async function tokenForm(credential: ProviderCredential, tokenUrl: string, now: number): Promise<URLSearchParams> {
  if (credential.kind === 'api_token') throw new TacError('invalid_value', 'entra signs in with a client secret or a certificate, not an API token');
  const form = new URLSearchParams({ client_id: credential.clientId, scope: GRAPH_SCOPE, grant_type: 'client_credentials' });
  if (credential.kind === 'client_secret') {
    form.set('client_secret', credential.secret);
    return form;
  }
  const { key } = credential;
  // Entra takes certificate credentials as RSA certificates (RS256/PS256), identified by thumbprint.
  if (key.alg !== 'RS256') throw new TacError('invalid_value', `--private-key-file: ${key.file} holds an ${key.alg === 'ES256' ? 'EC' : key.alg} key; Entra certificate credentials need an RSA key and certificate`, { field: '--private-key-file' });
  if (!key.certificate) throw new TacError('invalid_value', `--private-key-file: ${key.file} has no certificate; put the certificate uploaded to the app registration in the same PEM file as its key`, { field: '--private-key-file' });
  const { signClientAssertion } = await import('../client-assertion.js');
  form.set('client_assertion_type', JWT_BEARER);
  form.set('client_assertion', await signClientAssertion(key, { clientId: credential.clientId, audience: tokenUrl, now, x5t: true }));
  return form;
}

/** What to do about the AADSTS errors an admin meets when setting tac up, by code. */
const AADSTS_HINTS: Record<number, string> = {
  7000215: 'the client secret is wrong: use the secret\'s Value, not its Secret ID (Certificates & secrets)',
  7000222: 'the client secret has expired: add a new one under Certificates & secrets and run tac login again',
  700016: 'no app with this client id in the tenant: check --client-id (Application (client) ID) and --tenant',
  90002: 'no such tenant: check --tenant (Directory (tenant) ID or its .onmicrosoft.com domain)',
  900023: 'no such tenant: check --tenant (Directory (tenant) ID or its .onmicrosoft.com domain)',
  700027: 'the certificate is not the one uploaded to the app registration (Certificates & secrets)',
  700024: 'the certificate assertion is outside its valid time: check this machine\'s clock',
  7000112: 'the app is disabled in the tenant',
  7000218: 'the app needs a client secret or a certificate',
};

/** A refused token request as one line, exit 4; the description's trace lines are dropped. */
export function tokenError(res: HttpResponse, clientId: string, tokenUrl: string, secrets: readonly string[]): TacError {
  const j = parseJson(res) as { error?: unknown; error_description?: unknown; error_codes?: unknown } | undefined;
  const description = typeof j?.error_description === 'string' ? j.error_description : '';
  const code = Array.isArray(j?.error_codes) && typeof j.error_codes[0] === 'number' ? j.error_codes[0] : Number(/AADSTS(\d+)/.exec(description)?.[1]);
  let reason = description.split(/\r?\n/)[0]!.replace(/^AADSTS\d+:\s*/, '').slice(0, 200);
  for (const s of secrets) if (s) reason = reason.split(s).join('[redacted]');
  const hint = AADSTS_HINTS[code];
  const aadsts = Number.isFinite(code) ? `AADSTS${code}` : typeof j?.error === 'string' ? j.error : `HTTP ${res.status}`;
  return new TacError('unauthenticated', `entra at ${tokenUrl} refused a token for app ${clientId} (${aadsts})${hint ? `: ${hint}` : reason ? `: ${reason}` : ''}`, {
    details: Number.isFinite(code) ? { providerCode: `AADSTS${code}` } : {},
  });
}

/**
 * The application permissions an app-only access token carries (its `roles` claim). The payload
 * is read, not verified: Graph verifies the token; tac only shows what was granted.
 */
export function tokenRoles(accessToken: string): string[] {
  try {
    const payload = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { roles?: unknown };
    return Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
}
