import { makeCertificate } from '../../fakes/entra-cert.js';
import { startEntraFake, type EntraFake } from '../../fakes/entra.js';
import { useProviderFake, type ProviderClient } from './provider-fake.js';
import type { RunResult } from './tac.js';

/** The built bin/tac against the Entra fake (see provider-fake.ts), whose app has `cert` registered. */
export interface EntraClient extends ProviderClient {
  /** tac login --provider entra with the fake's client secret (or `secret`). */
  login(extra?: string[], secret?: string): Promise<RunResult>;
  /** tac login --provider entra with the certificate and key file (or `file`). */
  loginWithCertificate(extra?: string[], file?: string): Promise<RunResult>;
}

export function useEntraFake() {
  const cert = makeCertificate();
  const { fake, client, cleanup } = useProviderFake('entra', () => startEntraFake({}, ['--cert', cert.file]));
  cleanup(cert.dir);
  const where = () => ['--provider', 'entra', '--tenant', fake().tenant, '--server', fake().url, '--token-url', fake().tokenUrl, '--client-id', fake().clientId];
  return {
    fake: (): EntraFake => fake(),
    cert,
    client: (name: string): EntraClient => {
      const c = client(name);
      return {
        ...c,
        login: (extra = [], secret = fake().clientSecret) => c.tac(['login', ...where(), '--client-secret-stdin', ...extra], { stdin: `${secret}\n` }),
        loginWithCertificate: (extra = [], file = cert.file) => c.tac(['login', ...where(), '--private-key-file', file, ...extra]),
      };
    },
  };
}
