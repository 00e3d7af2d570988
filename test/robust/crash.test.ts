import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BUSY_RE, describeRun, invariantViolations, parseJsonLines, prng, randInt, RobustEnv, seedFor, size, spawnTac, STACK_RE,
  withDb, type RunResult, type Spawned, type Worker,
} from './helpers.js';

/**
 * SIGKILL at random points (seeded) during `tac guests import` of large files and during bursts of
 * writers (`tac generate`, `tac guests create`, `tac users add` and worker processes writing in a
 * tight loop). After every kill the database must be intact and consistent; at the end re-running
 * every import with `--on-existing skip` completes it with no duplicates.
 *
 * Sizes: at least 20 killed import runs of 1000-row files (two batches) and 10 killed bursts by default;
 * TAC_STRESS=1 gives 60 killed runs of 5000-row files and 30 bursts.
 */
const SEED = seedFor('crash', 7_2026_05);
const KILLED_IMPORTS = size(20, 60);
const ROWS = size(1000, 5000);
const BURSTS = size(10, 30);
const MAX_ATTEMPTS = KILLED_IMPORTS * 4;

interface Issued {
  id: string;
  code: string;
  user: { email: string };
}

describe('crash: SIGKILL during imports and bursts of writes', () => {
  const env = new RobustEnv('crash');
  const rnd = prng(SEED);
  const files: { path: string; emails: string[] }[] = [];
  const outs: string[] = [];
  const allRuns: RunResult[] = [];
  const stats = { attempts: 0, killedImports: 0, killedAfterACommit: 0, completedImports: 0, bursts: 0, killedWriters: 0, churnKilled: 0 };
  let calibratedMs = 0;

  afterAll(() => env.cleanup());

  /** A guest CSV with some of its emails shared with the previous file, a BOM, quoted names and CRLF now and then. */
  function makeFile(n: number): { path: string; emails: string[] } {
    const prev = files[files.length - 1]?.emails ?? [];
    const shared = prev.slice(-Math.min(50, prev.length));
    const emails = [...shared, ...Array.from({ length: n - shared.length }, (_, i) => `f${files.length}-${i}@example.com`)];
    const nl = files.length % 2 ? '\r\n' : '\n';
    // Phones are unique across files: +1 555, two digits of file, five of row.
    const fileNo = String(files.length).padStart(2, '0');
    const lines = ['email,name,phone', ...emails.map((e, i) => `${e},"Guest ${i}, ""the ${i % 7 === 0 ? 'quoted' : 'plain'}"" one",${i % 5 === 0 ? `+1555${fileNo}${String(i).padStart(5, '0')}` : ''}`)];
    // A phone must be unique too: only rows that are not shared carry one.
    const body = lines.map((l, i) => (i > 0 && i <= shared.length ? l.replace(/,[^,]*$/, ',') : l)).join(nl);
    const path = env.path(`guests-${files.length}.csv`);
    mkdirSync(env.path(''), { recursive: true });
    writeFileSync(path, `${files.length % 3 === 0 ? '\uFEFF' : ''}${body}${nl}${nl}`);
    const f = { path, emails };
    files.push(f);
    return f;
  }

  const newOut = () => {
    const p = env.path(`codes-${outs.length}.jsonl`);
    outs.push(p);
    return p;
  };

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  function checkInvariants(after: string) {
    const v = withDb(env.dbPath, (db) => invariantViolations(db));
    expect(v, `after ${after} (seed ${SEED})`).toEqual([]);
  }

  function checkOutput(r: RunResult, killed: boolean) {
    allRuns.push(r);
    expect(`${r.stdout}${r.stderr}`, describeRun(r)).not.toMatch(BUSY_RE);
    expect(r.stderr, describeRun(r)).not.toMatch(STACK_RE);
    expect(r.stderr, describeRun(r)).not.toMatch(/^unexpected:|error: unexpected/m);
    if (!killed) expect(r.code, describeRun(r)).toBe(0);
  }

  /** Writers in a burst: worker processes in a tight loop plus real CLI processes, all killed at once. */
  async function burst(users: string[]): Promise<void> {
    const workers: Worker[] = Array.from({ length: 3 }, () => env.worker('churn.mjs', { seed: randInt(rnd, 1, 2 ** 31), users }));
    const n = stats.bursts;
    const cli: Spawned[] = [
      spawnTac(['generate', '--verified-by', 'callback', '--user', users[n % users.length]!, '--json'], env.env),
      n % 2
        ? spawnTac(['guests', 'create', '--email', `burst-guest-${n}@example.com`, '--json'], env.env)
        : spawnTac(['users', 'add', '--username', `burst-${n}`, '--email', `burst-${n}@example.com`], env.env),
    ];
    await Promise.all(workers.map((w) => w.ready));
    await sleep(randInt(rnd, 20, 400));
    const procs = [...workers.map((w) => w.p), ...cli];
    for (const p of procs) p.child.kill('SIGKILL');
    const runs = await Promise.all(procs.map((p) => p.done));
    for (const [i, r] of runs.entries()) {
      const killed = r.signal === 'SIGKILL';
      if (i < workers.length) {
        expect(killed, describeRun(r)).toBe(true);
        stats.churnKilled++;
      } else if (killed) stats.killedWriters++;
      checkOutput(r, killed);
    }
    stats.bursts++;
  }

  it('a calibration import completes and takes T; its codes are in --out', async () => {
    const f = makeFile(ROWS);
    const out = newOut();
    const t0 = Date.now();
    const r = await env.tac(['guests', 'import', f.path, '--out', out]);
    calibratedMs = Date.now() - t0;
    checkOutput(r, false);
    expect(parseJsonLines<Issued>(readFileSync(out, 'utf8'))).toHaveLength(ROWS);
    console.log(`[crash] a ${ROWS}-row import takes ${calibratedMs} ms here`);
    checkInvariants('the calibration import');
  }, 120_000);

  it(`SIGKILL at random points: ${KILLED_IMPORTS} killed imports and ${BURSTS} killed bursts of writers; every invariant holds after each`, async () => {
    const users = ['alice', 'bob', 'carol', 'dave'];
    for (const u of users) await env.addUser(u);
    let file = makeFile(ROWS);
    while (stats.killedImports < KILLED_IMPORTS || stats.bursts < BURSTS) {
      expect(stats.attempts, `only ${stats.killedImports} kills in ${stats.attempts} attempts`).toBeLessThan(MAX_ATTEMPTS);
      stats.attempts++;
      const withBurst = stats.bursts < BURSTS && (stats.attempts % 2 === 0 || stats.killedImports >= KILLED_IMPORTS);
      // Half the kills at any time from the start (start-up, the validation pass, a batch), half at
      // a random time after the first batch is committed and its codes written (inside later batches).
      const afterFirstBatch = stats.attempts % 2 === 1;
      const delay = afterFirstBatch ? randInt(rnd, 0, Math.round(calibratedMs * 0.3)) : randInt(rnd, Math.round(calibratedMs * 0.05), Math.round(calibratedMs * 0.7));
      const out = newOut();
      const imp = spawnTac(['guests', 'import', file.path, '--on-existing', 'skip', '--out', out], env.env);
      let timer: NodeJS.Timeout | undefined;
      let poll: NodeJS.Timeout | undefined;
      if (afterFirstBatch) {
        poll = setInterval(() => {
          if ((statSync(out, { throwIfNoEntry: false })?.size ?? 0) > 0) {
            clearInterval(poll);
            timer = setTimeout(() => imp.child.kill('SIGKILL'), delay);
          }
        }, 5);
      } else {
        timer = setTimeout(() => imp.child.kill('SIGKILL'), delay);
      }
      if (withBurst) await burst(users);
      const r = await imp.done;
      clearInterval(poll);
      clearTimeout(timer);
      const killed = r.signal === 'SIGKILL';
      checkOutput(r, killed);
      if (killed) {
        stats.killedImports++;
        if (existsSync(out) && readFileSync(out).length > 0) stats.killedAfterACommit++;
      } else {
        stats.completedImports++;
        // This file is done: the next attempts interrupt a new one.
        if (stats.killedImports < KILLED_IMPORTS) file = makeFile(ROWS);
      }
      checkInvariants(`attempt ${stats.attempts} (kill ${delay} ms after ${afterFirstBatch ? 'the first batch' : 'the start'}: ${killed ? 'killed' : 'completed'})`);
    }
    console.log(`[crash] ${JSON.stringify(stats)} over ${files.length} files`);
    expect(stats.killedImports).toBeGreaterThanOrEqual(KILLED_IMPORTS);
  }, 600_000);

  it('every code written to an --out file belongs to a committed TAC of that guest', () => {
    let lines = 0;
    let cut = 0;
    withDb(env.dbPath, (db) => {
      const get = db.prepare('SELECT u.email FROM tacs t JOIN users u ON u.id = t.user_id WHERE t.id = ?');
      for (const out of outs.filter((p) => existsSync(p))) {
        let text = readFileSync(out, 'utf8');
        // Each batch is one write(2), but a fatal signal may still cut a large write short: only a
        // last, incomplete line may be missing its end (its guests are then re-issued by an agent).
        if (text !== '' && !text.endsWith('\n')) {
          cut++;
          text = text.slice(0, text.lastIndexOf('\n') + 1);
        }
        for (const t of parseJsonLines<Issued>(text)) {
          expect(get.get(t.id), `${t.id} from ${out}`).toEqual({ email: t.user.email });
          lines++;
        }
      }
    });
    console.log(`[crash] ${lines} codes in ${outs.length} --out files; ${cut} file(s) cut inside a line by a kill`);
    expect(lines).toBeGreaterThan(0);
  });

  it('re-running every import with --on-existing skip completes it: each email exactly once, one TAC and one creation event each', async () => {
    for (const f of files) {
      const out = newOut();
      const r = await env.tac(['guests', 'import', f.path, '--on-existing', 'skip', '--out', out]);
      checkOutput(r, false);
      expect(r.stderr).toMatch(/Imported guests: \d+ created, 0 reissued, \d+ skipped, 0 failed/);
    }
    const emails = [...new Set(files.flatMap((f) => f.emails))];
    withDb(env.dbPath, (db) => {
      const byEmail = new Map<string, string[]>();
      for (const u of db.prepare('SELECT id, lower(email) email FROM users').all() as { id: string; email: string }[]) {
        byEmail.set(u.email, [...(byEmail.get(u.email) ?? []), u.id]);
      }
      const tacs = new Map((db.prepare('SELECT user_id, count(*) n FROM tacs GROUP BY 1').all() as { user_id: string; n: number }[]).map((r) => [r.user_id, r.n]));
      const events = new Map((db.prepare("SELECT user_id || ' ' || action k, count(*) n FROM audit WHERE action IN ('guest.created', 'tac.generated') GROUP BY user_id, action")
        .all() as { k: string; n: number }[]).map((r) => [r.k, r.n]));
      const bad = emails.flatMap((email) => {
        const ids = byEmail.get(email) ?? [];
        const id = ids[0] ?? '';
        const row = { email, users: ids.length, tacs: tacs.get(id) ?? 0, created: events.get(`${id} guest.created`) ?? 0, generated: events.get(`${id} tac.generated`) ?? 0 };
        return row.users === 1 && row.tacs === 1 && row.created === 1 && row.generated === 1 ? [] : [row];
      });
      expect(bad.slice(0, 5), `${bad.length} of ${emails.length} emails`).toEqual([]);
    });
    checkInvariants('the re-runs');
  }, 300_000);
});
