import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, describePg } from '../pg/db.js';
import { describeRun, localDirs, REPO_ROOT, runTac, type RunResult } from './helpers/tac.js';

/**
 * Start-up: a command loads only what it uses. Local commands on SQLite must never load the
 * PostgreSQL driver, the JWT library (client assertions), the providers' HTTP client or the
 * server framework; each of them is loaded where it is used. test/fakes/record-modules.cjs sees
 * both require() and import() (pg and jose are loaded with import()).
 */
const HEAVY = ['pg', 'jose', 'undici', 'fastify'];
const preload = { NODE_OPTIONS: `-r ${join(REPO_ROOT, 'test', 'fakes', 'record-modules.cjs')}` };

function loaded(r: RunResult): string[] {
  const line = r.stderr.split('\n').find((l) => l.startsWith('modules:'));
  if (!line) throw new Error(`no modules line\n${describeRun(r)}`);
  return JSON.parse(line.slice('modules:'.length)) as string[];
}

const root = mkdtempSync(join(tmpdir(), 'tac-startup-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dirs = localDirs(root);
const tac = (args: string[], extra: Record<string, string> = {}) => runTac(args, { ...dirs.env, ...preload, ...extra });

describe('start-up: what each command loads', () => {
  beforeAll(async () => {
    const r = await tac(['users', 'add', '--username', 'alice', '--email', 'alice@example.com', '--name', 'Alice']);
    expect(r.code, describeRun(r)).toBe(0);
  });

  it.each([
    [['--version']],
    [['generate', '--user', 'alice@example.com', '--verified-by', 'callback', '--json']],
    [['list', '--json']],
    [['verify', '--user', 'alice@example.com']],
    [['policy', 'show', '--json']],
    [['users', 'search', 'alice', '--json']],
    [['audit', '--json']],
  ])('tac %s on SQLite loads none of pg, jose, undici, fastify', async (args) => {
    const r = await runTac(args, { ...dirs.env, ...preload }, { stdin: 'WRONGCOD\n' });
    expect([0, 6], describeRun(r)).toContain(r.code);
    const mods = loaded(r);
    for (const m of HEAVY) expect(mods, `${args.join(' ')} loaded ${m}`).not.toContain(m);
  });

  it('the recorder sees an import()ed package (so the checks above can fail)', async () => {
    // Colour loads chalk, an ES module, through import().
    const r = await tac(['users', 'search', 'alice'], { FORCE_COLOR: '1' });
    expect(r.code, describeRun(r)).toBe(0);
    expect(loaded(r)).toContain('chalk');
  });
});

describePg('start-up: a postgres:// database', () => {
  it('loads pg, and still neither jose, undici nor fastify', async () => {
    const url = await createTestDatabase('startup');
    const r = await tac(['policy', 'show', '--json', '--db', url]);
    expect(r.code, describeRun(r)).toBe(0);
    const mods = loaded(r);
    expect(mods).toContain('pg');
    for (const m of ['jose', 'undici', 'fastify']) expect(mods).not.toContain(m);
  });
});
