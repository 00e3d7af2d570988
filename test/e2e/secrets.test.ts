import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { pgBinDir } from '../pg/cluster.js';
import { describeBackends, describeRun, parseJsonLines, type IssuedJson, type RunResult } from './helpers/tac.js';

/**
 * After a scripted session, no issued code may appear anywhere but in the one output that issued
 * it: not in other commands' output, not in the database, its WAL, or any config file; on
 * PostgreSQL not in a pg_dump of the database nor in the server's log.
 */
describeBackends('secrets', (env) => {
  const codes: string[] = [];
  const outputs: RunResult[] = [];
  let holder: Database.Database | undefined;

  afterAll(() => holder?.close());

  const run = async (args: string[], stdin?: string) => {
    const r = await env.tac(args, { stdin });
    outputs.push(r);
    return r;
  };

  it('a scripted session issuing codes in every way', async () => {
    if (env.backend === 'local') {
      // Keep a connection open so the CLI processes are never the last to close the database:
      // then SQLite leaves the -wal file in place and it is scanned too.
      await env.admin(['policy', 'show']);
      holder = new Database(env.paths.db, { readonly: true });
      holder.prepare('SELECT count(*) FROM sqlite_master').get();
    }
    await env.addUser('alice', { phone: '+15550101010', name: 'Alice' });
    await env.addUser('bob');
    await env.setPolicy('--multi-use-allowed');

    let r = await env.tac(['generate', '--verified-by', 'callback', '--user', 'alice', '--reason', 'lost phone']);
    expect(r.code, describeRun(r)).toBe(0);
    codes.push(r.stdout.trim());
    const issued = await env.issue('alice', '--ttl', '2h');
    codes.push(issued.code);
    const bobs = await env.issue('bob', '--multi-use');
    codes.push(bobs.code);
    r = await env.tac(['guests', 'create', '--email', 'guest1@example.com', '--json']);
    codes.push((JSON.parse(r.stdout) as IssuedJson).code);
    r = await env.tac(['guests', 'import', env.file('g.csv', 'email,name\nguest2@example.com,G2\nguest3@example.com,G3\n')]);
    expect(r.code, describeRun(r)).toBe(0);
    codes.push(...parseJsonLines<IssuedJson>(r.stdout).map((t) => t.code));
    const out = env.newPath('codes.jsonl');
    r = await env.tac(['guests', 'import', env.file('g2.csv', 'email\nguest2@example.com\n'), '--on-existing', 'reissue', '--out', out]);
    expect(r.code, describeRun(r)).toBe(0);
    codes.push(...parseJsonLines<IssuedJson>(readFileSync(out, 'utf8')).map((t) => t.code));
    expect(codes).toHaveLength(7);
    expect(new Set(codes).size).toBe(7);

    // Use some of them, right and wrong, in several forms.
    await run(['verify', '--user', 'alice'], `${issued.code}\n`);
    await run(['verify', '--user', 'alice', '--json'], `${issued.code}\n`);
    await run(['verify', '--user', 'bob', '--json'], `${bobs.code.toLowerCase()}\n`);
    await run(['verify', '--user', 'bob'], `${bobs.code}\n`);
    await run(['verify', '--user', 'alice'], `${codes[0]}\n`);
    await run(['verify', '--user', 'nobody', '--json'], `${bobs.code}\n`);
    // A code typed for the wrong user is not echoed back either.
    await run(['verify', '--user', 'bob'], `${codes[3]}\n`);
    await run(['delete', '--yes', '--user', 'bob']);
    await run(['users', 'disable', '--yes', 'guest3@example.com']);
  });

  it('no other command prints a code', async () => {
    for (const args of [
      ['list'], ['list', '--json'], ['list', '--status', 'all', '--json'],
      ['users', 'show', 'alice'], ['users', 'show', 'alice', '--json'], ['users', 'show', 'bob', '--json'],
      ['users', 'show', 'guest2@example.com', '--json'], ['users', 'search'], ['users', 'search', '--json'],
      ['audit'], ['audit', '--json', '--limit', '1000'], ['policy', 'show', '--json'], ['purge', '--dry-run', '--json'],
    ]) {
      await run(args);
    }
    for (const r of outputs) {
      for (const c of codes) {
        expect(r.stdout, describeRun(r)).not.toContain(c);
        expect(r.stderr, describeRun(r)).not.toContain(c);
        expect(r.stdout.toUpperCase()).not.toContain(c);
      }
    }
  });

  it('no code is stored in any file of the data, config or home dirs (database, WAL, key)', async () => {
    const files = env.stateFiles();
    if (env.backend === 'local') {
      expect(files).toContain(env.paths.db);
      expect(files).toContain(env.paths.keyFile);
      expect(files).toContain(`${env.paths.db}-wal`);
    }
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const c of codes) {
        for (const form of [c, c.toLowerCase(), `${c.slice(0, 4)} ${c.slice(4)}`]) {
          expect(bytes.includes(Buffer.from(form, 'utf8')), `${form} found in ${f}`).toBe(false);
          expect(bytes.includes(Buffer.from(form, 'utf16le')), `${form} (UTF-16) found in ${f}`).toBe(false);
        }
      }
    }
  });

  it.runIf(env.backend === 'postgres')('no code is in a dump of the PostgreSQL database or in the server log', async () => {
    const dump = execFileSync(join(pgBinDir()!, 'pg_dump'), ['--dbname', env.remote.db], { maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
    // The dump holds the session: the users and their TACs' hashes.
    expect(dump).toContain('alice@example.com');
    expect(dump).toContain('COPY public.tacs');
    const log = env.remote.server.stderr();
    for (const c of codes) {
      for (const form of [c, c.toLowerCase(), `${c.slice(0, 4)} ${c.slice(4)}`]) {
        expect(dump.includes(form), `${form} found in pg_dump`).toBe(false);
        expect(log.includes(form), `${form} found in the server log`).toBe(false);
      }
    }
  });
});
