import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosaicFake, type MosaicFake } from '../fakes/mosaic.js';

/** The contract fake refuses what Mosaic's docs do not describe, so tac cannot pass by being echoed. */

let fake: MosaicFake;
let token: string;
beforeAll(async () => {
  fake = await startMosaicFake();
});
afterAll(() => fake.stop());

const form = (fields: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${fake.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('Mosaic fake: token endpoint', () => {
  it('takes only a form with grant_type=client_credentials and the right client; answers {access_token, token_type, expires_in}', async () => {
    const good = { grant_type: 'client_credentials', client_id: fake.clientId, client_secret: fake.clientSecret };
    const res = await fetch(fake.tokenUrl, form(good));
    expect(res.status).toBe(200);
    const json = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(Object.keys(json).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(json.token_type).toBe('Bearer');
    token = json.access_token;
    expect((await fetch(fake.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(good) })).status).toBe(400);
    expect((await fetch(fake.tokenUrl, form({ ...good, grant_type: 'password' }))).status).toBe(400);
    expect((await fetch(fake.tokenUrl, form({ ...good, scope: 'x' }))).status).toBe(400);
    expect((await fetch(fake.tokenUrl, form({ ...good, client_secret: 'wrong' }))).status).toBe(401);
  });
});

describe('Mosaic fake: API', () => {
  const send = { channel: 'direct', identifier_type: 'username', identifier: 'alice' };

  it('otp/send refuses a wrong content type, missing or extra fields, an unknown identifier_type or channel, a bad expires_in', async () => {
    const sent = await post('/cis/v1/auth/otp/send', { ...send, device_id: 'desk-1' }); // a documented optional field
    expect(sent.status).toBe(200);
    expect(Object.keys((await sent.json()) as object).sort()).toEqual(['code', 'message']);
    expect((await post('/cis/v1/auth/otp/send', send, { 'content-type': 'text/plain' })).status).toBe(400);
    expect((await post('/cis/v1/auth/otp/send', { channel: 'direct', identifier: 'alice' })).status).toBe(400);
    expect((await post('/cis/v1/auth/otp/send', { ...send, ttl: 5 })).status).toBe(400);
    expect((await post('/cis/v1/auth/otp/send', { ...send, identifier_type: 'login' })).status).toBe(400);
    expect((await post('/cis/v1/auth/otp/send', { ...send, channel: 'sms' })).status).toBe(400);
    expect((await post('/cis/v1/auth/otp/send', { ...send, expires_in: '600' })).status).toBe(400);
    const nobody = await post('/cis/v1/auth/otp/send', { ...send, identifier: 'nobody' });
    expect(nobody.status).toBe(404);
    expect(await nobody.json()).toEqual({ message: 'User not found', error_code: 'user_not_found' });
  });

  it('holds the codes it issued: authenticate takes exactly {passcode, identifier_type, identifier} and the code once', async () => {
    const { code } = (await (await post('/cis/v1/auth/otp/send', send)).json()) as { code: string };
    expect(code).toMatch(/^\d{6}$/);
    expect((await post('/cis/v1/auth/otp/authenticate', { passcode: code, identifier_type: 'username', identifier: 'alice', extra: 1 })).status).toBe(400);
    expect((await post('/cis/v1/auth/otp/authenticate', { passcode: code, identifier_type: 'email', identifier: 'alice@example.com' })).status).toBe(200);
    expect((await post('/cis/v1/auth/otp/authenticate', { passcode: code, identifier_type: 'email', identifier: 'alice@example.com' })).status).toBe(400);
  });

  it('refuses a missing, unknown or expired bearer token; answers the documented lookups and rejects other queries', async () => {
    expect((await fetch(`${fake.url}/cis/v1/users/x7k2mq9alice`)).status).toBe(401);
    expect((await fetch(`${fake.url}/cis/v1/users/x7k2mq9alice`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const auth = { headers: { authorization: `Bearer ${token}` } };
    expect((await fetch(`${fake.url}/cis/v1/users?search=${encodeURIComponent('name co "x"')}`, auth)).status).toBe(400);
    expect((await fetch(`${fake.url}/cis/v1/users?q=alice`, auth)).status).toBe(400);
    const byEmail = (await (await fetch(`${fake.url}/cis/v1/users/email/alice%40example.com`, auth)).json()) as { result: { user_id: string } };
    expect(byEmail.result.user_id).toBe('x7k2mq9alice');
    const byPhone = await fetch(`${fake.url}/cis/v1/users/identifier?identifier_name=phoneNumber&identifier_value=%2B15550101010`, auth);
    expect(((await byPhone.json()) as { result: { user_id: string } }).result.user_id).toBe('x7k2mq9alice');
    expect((await fetch(`${fake.url}/cis/v1/users/identifier?identifier_name=phone&identifier_value=%2B15550101010`, auth)).status).toBe(400);
    const page = (await (await fetch(`${fake.url}/cis/v1/users?search_prefix=bob&page_limit=10`, auth)).json()) as { total_count: number; page_info: unknown; result: unknown[] };
    expect(page).toMatchObject({ total_count: 1, page_info: { has_next_page: false, has_previous_page: false } });
    expect((await fetch(`${fake.url}/cis/v1/users?page_limit=9999`, auth)).status).toBe(400);
    const missing = await fetch(`${fake.url}/cis/v1/users/nobody`, auth);
    expect(await missing.json()).toEqual({ message: 'User not found', error_code: 404 });
    await fake.expireTokens();
    expect((await fetch(`${fake.url}/cis/v1/users/x7k2mq9alice`, auth)).status).toBe(401);
  });
});
