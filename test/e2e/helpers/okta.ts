import { startOktaFake, type OktaFake, type OktaFakeOptions } from '../../fakes/okta.js';
import { useProviderFake, type ProviderClient } from './provider-fake.js';
import type { Env, RunResult } from './tac.js';

/** The built bin/tac against the Okta fake (see provider-fake.ts). */
export interface OktaClient extends ProviderClient {
  /** tac login --provider okta --api-token-stdin (the fake's token, or `token`). */
  loginToken(extra?: string[], token?: string): Promise<RunResult>;
  /** tac login --provider okta --client-id … --private-key-file (the fake's service app). */
  loginKey(extra?: string[]): Promise<RunResult>;
  /** The environment for CI with the service app's key, no login. */
  keyEnv(): Env;
}

export function useOktaFake(opts: OktaFakeOptions = {}): { fake: () => OktaFake; client: (name: string) => OktaClient } {
  const { fake, client } = useProviderFake('okta', () => startOktaFake(opts));
  return {
    fake,
    client: (name) => {
      const c = client(name);
      return {
        ...c,
        loginToken: (extra = [], token = fake().apiToken) => c.tac(['login', '--provider', 'okta', '--server', fake().url, '--api-token-stdin', ...extra], { stdin: `${token}\n` }),
        loginKey: (extra = []) => c.tac(['login', '--provider', 'okta', '--server', fake().url, '--client-id', fake().clientId, '--private-key-file', fake().privateKeyFile, ...extra]),
        keyEnv: () => ({ TAC_PROVIDER: 'okta', TAC_SERVER: fake().url, TAC_CLIENT_ID: fake().clientId, TAC_PRIVATE_KEY_FILE: fake().privateKeyFile }),
      };
    },
  };
}
