import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MosaicApi } from '../../src/backends/mosaic/api.js';
import type { AuditTrail } from '../../src/backends/audit-trail.js';

/**
 * A provider's error text is quoted in tac's one-line errors; a provider that echoes what it was
 * sent must not put a code being checked, or the client secret, into an error line or a log.
 */
describe('mosaic: secrets the request carried are never quoted back', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function echoing(): Promise<string> {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        if (req.url === '/oidc/token' && body.includes('client_secret=s3cret-VALUE-1')) {
          res.end(JSON.stringify({ access_token: 'tok', token_type: 'Bearer', expires_in: 3600 }));
        } else if (req.url === '/oidc/token') {
          res.statusCode = 401;
          res.end(JSON.stringify({ error: 'invalid_client', error_description: `bad secret ${decodeURIComponent(body.split('client_secret=')[1] ?? '')}` }));
        } else {
          res.statusCode = 403;
          res.end(JSON.stringify({ message: `passcode ${JSON.parse(body).passcode} refused` }));
        }
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  }

  const api = (url: string, clientSecret: string) => new MosaicApi({
    serverUrl: url, tokenUrl: `${url}/oidc/token`, credential: { kind: 'client_secret', clientId: 'cid', secret: clientSecret }, insecure: false,
    requireAttestation: true, audit: {} as AuditTrail, actor: 'tester',
  });

  it('a code being checked', async () => {
    const url = await echoing();
    const err = await api(url, 's3cret-VALUE-1').call('POST', 'cis/v1/auth/otp/authenticate', 'checking the code', { passcode: 'K7QW9M2P' }, { secrets: ['K7QW9M2P'] })
      .catch((e: Error) => e);
    expect((err as Error).message).toMatch(/refused checking the code: passcode \[redacted\] refused/);
    expect((err as Error).message).not.toContain('K7QW9M2P');
  });

  it('the client secret', async () => {
    const url = await echoing();
    const err = await api(url, 'wrong-SECRET-9').freshToken().catch((e: Error) => e);
    expect((err as Error).message).toMatch(/rejected client cid: bad secret \[redacted\]/);
    expect((err as Error).message).not.toContain('wrong-SECRET-9');
  });
});
