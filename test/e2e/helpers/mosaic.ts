import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startMosaicFake, type MosaicFake } from '../../fakes/mosaic.js';
import { localDirs, runTac, type Env, type RunResult } from './tac.js';

/**
 * The built bin/tac against the Mosaic fake, both real processes: a fresh temp HOME and XDG dirs
 * per client, no keychain (secrets go to the 0600 file), no TAC_DB.
 */
export interface MosaicClient {
  root: string;
  dirs: ReturnType<typeof localDirs>;
  env: Env;
  tac(args: string[], opts?: { stdin?: string; env?: Env }): Promise<RunResult>;
  /** tac login --provider mosaic with the fake's credentials (or `secret`). */
  login(extra?: string[], secret?: string): Promise<RunResult>;
}

export function useMosaicFake(): { fake: () => MosaicFake; client: (name: string) => MosaicClient } {
  let fake: MosaicFake | undefined;
  const roots: string[] = [];
  beforeAll(async () => {
    fake = await startMosaicFake();
  });
  afterAll(async () => {
    await fake?.stop();
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });
  const client = (name: string): MosaicClient => {
    const root = mkdtempSync(join(tmpdir(), `tac-mosaic-${name}-`));
    roots.push(root);
    const dirs = localDirs(root);
    const env: Env = { ...dirs.env, TAC_DB: undefined, TAC_KEYCHAIN: 'off' };
    const tac = (args: string[], opts: { stdin?: string; env?: Env } = {}) => runTac(args, { ...env, ...opts.env }, { stdin: opts.stdin, timeoutMs: 30_000 });
    return {
      root, dirs, env, tac,
      login: (extra = [], secret = fake!.clientSecret) =>
        tac(['login', '--provider', 'mosaic', '--server', fake!.url, '--client-id', fake!.clientId, '--client-secret-stdin', ...extra], { stdin: `${secret}\n` }),
    };
  };
  return { fake: () => fake!, client };
}
