import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { localDirs, runTac, type Env, type RunResult } from './tac.js';

/**
 * The built bin/tac against a provider's contract fake, both real processes: a fresh temp HOME and
 * XDG dirs per client, no keychain (secrets go to the 0600 file), no TAC_DB.
 */
export interface ProviderClient {
  root: string;
  dirs: ReturnType<typeof localDirs>;
  env: Env;
  tac(args: string[], opts?: { stdin?: string; env?: Env }): Promise<RunResult>;
}

export function useProviderFake<F extends { stop(): Promise<void> }>(provider: string, start: () => Promise<F>) {
  let fake: F | undefined;
  const roots: string[] = [];
  beforeAll(async () => {
    fake = await start();
  });
  afterAll(async () => {
    await fake?.stop();
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });
  /** Also removed after the suite (a key file's directory, say). */
  const cleanup = (dir: string) => void roots.push(dir);
  const client = (name: string): ProviderClient => {
    const root = mkdtempSync(join(tmpdir(), `tac-${provider}-${name}-`));
    roots.push(root);
    const dirs = localDirs(root);
    const env: Env = { ...dirs.env, TAC_DB: undefined, TAC_KEYCHAIN: 'off' };
    const tac = (args: string[], opts: { stdin?: string; env?: Env } = {}) => runTac(args, { ...env, ...opts.env }, { stdin: opts.stdin, timeoutMs: 30_000 });
    return { root, dirs, env, tac };
  };
  return { fake: () => fake!, client, cleanup };
}
