import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pgBinDir, startCluster } from '../pg/cluster.js';

/** The test cluster's own rules: CI can never silently skip the PostgreSQL tests. */
describe('test PostgreSQL cluster (test/pg/cluster.ts)', () => {
  const root = mkdtempSync(join(tmpdir(), 'tac-pg-root-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('without PostgreSQL: fails when CI=true or TAC_REQUIRE_POSTGRES=1, else provides no cluster', async () => {
    const missing = join(root, 'none');
    const provided: string[] = [];
    const provide = (_key: 'pgAdminUrl', value: string) => void provided.push(value);
    for (const env of [{ CI: 'true' }, { TAC_REQUIRE_POSTGRES: '1' }]) {
      await expect(startCluster(provide, { root: missing, env })).rejects.toThrow(/PostgreSQL is required/);
    }
    expect(provided).toEqual([]);
    await startCluster(provide, { root: missing, env: {} });
    expect(provided).toEqual(['']);
  });

  it('finds the newest installed version that has initdb', () => {
    for (const [v, withInitdb] of [['13', true], ['15', true], ['16', false]] as const) {
      mkdirSync(join(root, v, 'bin'), { recursive: true });
      if (withInitdb) writeFileSync(join(root, v, 'bin', 'initdb'), '');
    }
    expect(pgBinDir(root)).toBe(join(root, '15', 'bin'));
    expect(pgBinDir(join(root, 'none'))).toBeUndefined();
  });
});
