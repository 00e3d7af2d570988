import { startMosaicFake, type MosaicFake } from '../../fakes/mosaic.js';
import { useProviderFake, type ProviderClient } from './provider-fake.js';
import type { RunResult } from './tac.js';

/** The built bin/tac against the Mosaic fake (see provider-fake.ts). */
export interface MosaicClient extends ProviderClient {
  /** tac login --provider mosaic with the fake's credentials (or `secret`). */
  login(extra?: string[], secret?: string): Promise<RunResult>;
}

export function useMosaicFake(): { fake: () => MosaicFake; client: (name: string) => MosaicClient } {
  const { fake, client } = useProviderFake('mosaic', () => startMosaicFake());
  return {
    fake,
    client: (name) => {
      const c = client(name);
      return {
        ...c,
        login: (extra = [], secret = fake().clientSecret) =>
          c.tac(['login', '--provider', 'mosaic', '--server', fake().url, '--client-id', fake().clientId, '--client-secret-stdin', ...extra], { stdin: `${secret}\n` }),
      };
    },
  };
}
