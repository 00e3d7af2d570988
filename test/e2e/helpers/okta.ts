import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startOktaFake, type OktaFake, type OktaFakeOptions } from '../../fakes/okta.js';
import { localDirs, runTac, type Env, type RunResult } from './tac.js';

/**
 * The built bin/tac against the Okta fake, both real processes: a fresh temp HOME and XDG dirs
 * per client, no keychain (an API token goes to the 0600 file), no TAC_DB.
 */
export interface OktaClient {
  root: string;
  dirs: ReturnType<typeof localDirs>;
  env: Env;
  tac(args: string[], opts?: { stdin?: string; env?: Env }): Promise<RunResult>;
  /** tac login --provider okta --api-token-stdin (the fake's token, or `token`). */
  loginToken(extra?: string[], token?: string): Promise<RunResult>;
  /** tac login --provider okta --client-id … --private-key-file (the fake's service app). */
  loginKey(extra?: string[]): Promise<RunResult>;
  /** The environment for CI with the service app's key, no login. */
  keyEnv(): Env;
}

export function useOktaFake(opts: OktaFakeOptions = {}): { fake: () => OktaFake; client: (name: string) => OktaClient } {
  let fake: OktaFake | undefined;
  const roots: string[] = [];
  beforeAll(async () => {
    fake = await startOktaFake(opts);
  });
  afterAll(async () => {
    await fake?.stop();
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });
  const client = (name: string): OktaClient => {
    const root = mkdtempSync(join(tmpdir(), `tac-okta-${name}-`));
    roots.push(root);
    const dirs = localDirs(root);
    const env: Env = { ...dirs.env, TAC_DB: undefined, TAC_KEYCHAIN: 'off' };
    const tac = (args: string[], o: { stdin?: string; env?: Env } = {}) => runTac(args, { ...env, ...o.env }, { stdin: o.stdin, timeoutMs: 30_000 });
    return {
      root, dirs, env, tac,
      loginToken: (extra = [], token = fake!.apiToken) => tac(['login', '--provider', 'okta', '--server', fake!.url, '--api-token-stdin', ...extra], { stdin: `${token}\n` }),
      loginKey: (extra = []) => tac(['login', '--provider', 'okta', '--server', fake!.url, '--client-id', fake!.clientId, '--private-key-file', fake!.privateKeyFile, ...extra]),
      keyEnv: () => ({ TAC_PROVIDER: 'okta', TAC_SERVER: fake!.url, TAC_CLIENT_ID: fake!.clientId, TAC_PRIVATE_KEY_FILE: fake!.privateKeyFile }),
    };
  };
  return { fake: () => fake!, client };
}
