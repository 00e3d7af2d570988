#!/usr/bin/env node
// `npm run bench`: measures start-up, local generate, the server under load and guest imports in
// one run on this machine, and writes test/bench/results/results.{json,md}. Not run in CI.
//
//   node test/bench/run.mjs [--only cold,generate,serve,pg,import] [--runs 20] [--duration 10]
//                           [--rounds 2] [--rows 10000,100000] [--repeats 3] [--root DIR] [--out DIR]
//                           [--endpoints hello,verify,verify-many,issue] [--cpu-prof DIR] [--pg-sync on|off] [--pg-pool 10]
//
// `pg` adds PostgreSQL to the server rounds (one replica, and two behind a round robin), measured
// interleaved with the SQLite server, which it is compared with: `--only pg` runs both.
// --pg-sync sets PostgreSQL's synchronous_commit (on, its default, unless said otherwise);
// --pg-pool each replica's --pool-size (10, tac serve's default).
// --root benchmarks another checkout's built bin/tac (e.g. a worktree of an older commit).
// --cpu-prof DIR makes every process started write a V8 .cpuprofile into DIR (open it in Chrome
// DevTools or summarize it with `node test/bench/profile-top.mjs DIR`).
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { coldStart, generate } from './cold.mjs';
import { importBench } from './import.mjs';
import { gitCommit, HERE, profiling, ROOT, round, rssMethod } from './lib.mjs';
import { ENDPOINTS, serveBench } from './serve.mjs';

const { values: o } = parseArgs({
  options: {
    only: { type: 'string', default: 'cold,generate,serve,pg,import' },
    runs: { type: 'string', default: '20' },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    endpoints: { type: 'string', default: 'hello,verify,verify-many,issue' },
    rows: { type: 'string', default: '10000,100000' },
    repeats: { type: 'string', default: '3' },
    root: { type: 'string', default: ROOT },
    out: { type: 'string', default: join(HERE, 'results') },
    'cpu-prof': { type: 'string' },
    'pg-sync': { type: 'string', default: 'on' },
    'pg-pool': { type: 'string', default: '10' },
  },
});

const root = resolve(o.root);
const tacBin = join(root, 'bin', 'tac');
const only = new Set(o.only.split(','));
const log = (s) => process.stderr.write(`${s}\n`);
if (o['cpu-prof']) {
  profiling.dir = resolve(o['cpu-prof']);
  log(`writing CPU profiles to ${profiling.dir}: timings below are not representative`);
}

const TARGETS = {
  coldVersion: { text: '`tac --version` ≤ 1.15× `node -e 0`', max: 1.15 },
  coldHelp: { text: '`tac --help` ≤ 1.15× `node -e 0`', max: 1.15 },
  generate: { text: '`tac generate --json` ≤ 1.6× `node -e 0`', max: 1.6 },
  generateFloor: { text: '`tac generate --json` ≤ 1.10× its floor (floor-generate.cjs)', max: 1.1 },
  verifyThroughput: { text: 'verify ≥ 60% of hello-world req/s', min: 0.6 },
  verifyP99: { text: 'verify p99 ≤ 20 ms', max: 20 },
  pgVerify: { text: 'verify (one user), one replica on PostgreSQL ≥ 50% of `tac serve` on SQLite', min: 0.5 },
  pgVerifyMany: { text: 'verify (1,000 users), one replica on PostgreSQL ≥ 50% of `tac serve` on SQLite', min: 0.5 },
  importRate: { text: 'import of 100,000 rows ≥ 25,000 rows/s (issue 13)', min: 25_000 },
  importRss: { text: 'import peak RSS does not grow with rows (largest file ≤ 1.1× smallest)', max: 1.1 },
};

/**
 * The import run the rate target is judged on: issue 13 sets it for a 100,000-row file (the
 * largest given, without one). Smaller files are reported beside it: their fixed start-up cost and
 * the JIT's warm-up weigh more.
 */
const judgedImport = (runs) => runs[100_000] ?? Object.values(runs).reduce((a, b) => (b.rows > a.rows ? b : a));

const results = {
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: round(totalmem() / 2 ** 30, 0), node: process.version,
    platform: `${process.platform} ${process.arch}`, loadAverageAtStart: loadavg().map((x) => round(x, 2)),
  },
  commit: gitCommit(root),
  options: { runs: Number(o.runs), duration: Number(o.duration), rounds: Number(o.rounds), connections: Number(o.connections), rows: o.rows, repeats: Number(o.repeats), rssMethod },
  targets: {},
};

const judge = (name, value) => {
  const t = TARGETS[name];
  const met = t.max !== undefined ? value <= t.max : value >= t.min;
  results.targets[name] = { target: t.text, value, met };
};

if (only.has('cold')) {
  const help = join(root, 'dist', 'cli', 'help.txt');
  results.prebuiltHelp = existsSync(help) && statSync(help).mtimeMs >= statSync(join(root, 'dist', 'cli', 'tac.cjs')).mtimeMs;
  if (!results.prebuiltHelp) log('warning: dist/cli/help.txt is missing or older than dist: `tac --help` runs commander (run `npm run build`)');
  log(`cold start: ${o.runs} runs each, interleaved`);
  results.cold = coldStart({ tacBin, runs: Number(o.runs) });
  judge('coldVersion', results.cold.version.ratio);
  judge('coldHelp', results.cold.help.ratio);
}
if (only.has('generate')) {
  log(`generate: ${o.runs} runs each, interleaved`);
  results.generate = generate({ tacBin, runs: Number(o.runs) });
  judge('generate', results.generate.generate.ratio);
  judge('generateFloor', results.generate.vsFloor);
}
if (only.has('serve') || only.has('pg')) {
  const backends = only.has('pg') ? ['sqlite', 'pg'] : ['sqlite'];
  log(`serve (${backends.join(', ')}): ${o.rounds} rounds of ${o.duration} s per endpoint, ${o.connections} connections`);
  results.serve = await serveBench({
    tacBin, duration: Number(o.duration), connections: Number(o.connections), rounds: Number(o.rounds), endpoints: o.endpoints.split(','),
    backends, synchronousCommit: o['pg-sync'], poolSize: Number(o['pg-pool']), log,
  });
  if (results.serve.verify?.vsHello !== undefined) judge('verifyThroughput', results.serve.verify.vsHello);
  if (results.serve.verify) judge('verifyP99', results.serve.verify.p99Ms);
  if (results.serve.pg?.one.verify) judge('pgVerify', results.serve.pg.one.verify.vsSqlite);
  if (results.serve.pg?.one['verify-many']) judge('pgVerifyMany', results.serve.pg.one['verify-many'].vsSqlite);
}
if (only.has('import')) {
  const sizes = o.rows.split(',').map(Number);
  log(`guests import: ${sizes.join(', ')} rows, ${o.repeats} runs each`);
  results.import = await importBench({ tacBin, sizes, repeats: Number(o.repeats), log });
  judge('importRate', judgedImport(results.import).rowsPerSec);
  if (sizes.length > 1) {
    const [small, large] = [Math.min(...sizes), Math.max(...sizes)];
    judge('importRss', round(results.import[large].peakRssMb / results.import[small].peakRssMb, 3));
  }
}
results.machine.loadAverageAtEnd = loadavg().map((x) => round(x, 2));

mkdirSync(o.out, { recursive: true });
writeFileSync(join(o.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
const md = markdown(results);
writeFileSync(join(o.out, 'results.md'), md);
process.stdout.write(md);
log(`\nwrote ${join(o.out, 'results.json')} and results.md`);

/** The PostgreSQL rows: each replica setup beside its hello-world baseline and the SQLite server. */
function pgRows(s, row, share) {
  const hello2 = s.hello2 ? `two hello-worlds ${s.hello2.requestsPerSec} req/s, p99 ${s.hello2.p99Ms} ms` : '';
  const vs = (x) => [share(x), x.vsSqlite === undefined ? '' : `${Math.round(x.vsSqlite * 100)}% of SQLite`].filter(Boolean).join('; ');
  const fig = (x) => `${x.requestsPerSec} req/s, p50 ${x.p50Ms} ms, p99 ${x.p99Ms} ms; CPU/request ${x.serverCpuMsPerRequest} ms replicas + ${x.dbCpuMsPerRequest} ms PostgreSQL`;
  const what = { verify: 'verify (one user)', 'verify-many': 'verify (1,000 users)', issue: 'issue' };
  const target = { verify: 'pgVerify', 'verify-many': 'pgVerifyMany' };
  for (const e of Object.keys(what)) {
    const { one, two } = s.pg;
    if (one[e]) row(`${what[e]}, one replica on PostgreSQL, ${s.connections} connections`, fig(one[e]), `SQLite ${s[e].requestsPerSec} req/s (CPU/request ${s[e].serverCpuMsPerRequest} ms)`, vs(one[e]), target[e] ?? '');
    if (two[e]) row(`${what[e]}, two replicas on PostgreSQL`, fig(two[e]), hello2, vs(two[e]), '');
  }
}

function markdown(r) {
  const m = r.machine;
  const lines = [
    `# tac benchmarks`,
    '',
    `${r.date}, commit ${r.commit}; ${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GiB, Node ${m.node}, ${m.platform}; load average ${m.loadAverageAtStart.join(' ')} at start, ${m.loadAverageAtEnd.join(' ')} at end.`,
    '',
    '| what | measured | baseline | ratio / value | target | met |',
    '|---|---|---|---|---|---|',
  ];
  const row = (what, measured, baseline, value, target, met = r.targets[target]?.met) => {
    const t = r.targets[target];
    lines.push(`| ${what} | ${measured} | ${baseline} | ${value} | ${t ? t.target : '—'} | ${t ? (met ? 'yes' : '**no**') : '—'} |`);
  };
  if (r.cold) {
    const n = `\`node -e 0\` ${r.cold.node.medianMs} ms`;
    row('`tac --version` (median wall time)', `${r.cold.version.medianMs} ms`, n, `${r.cold.version.ratio}×`, 'coldVersion');
    row('`tac --help` (median wall time)', `${r.cold.help.medianMs} ms`, n, `${r.cold.help.ratio}×`, 'coldHelp');
  }
  if (r.generate) {
    row('`tac generate --json`, local (median)', `${r.generate.generate.medianMs} ms`, `\`node -e 0\` ${r.generate.node.medianMs} ms`, `${r.generate.generate.ratio}×`, 'generate');
    row('floor: the same SQLite write in a 20-line script (floor-generate.cjs)', `${r.generate.floor.medianMs} ms`, `\`node -e 0\` ${r.generate.node.medianMs} ms`, `${r.generate.floor.ratio}×`, 'none');
    row('`tac generate --json` beside its floor', `${r.generate.generate.medianMs} ms`, `floor ${r.generate.floor.medianMs} ms`, `${r.generate.vsFloor}×`, 'generateFloor');
  }
  if (r.serve) {
    const s = r.serve;
    const hello = s.hello ? `hello-world ${s.hello.requestsPerSec} req/s, p99 ${s.hello.p99Ms} ms` : '';
    const share = (x) => (x.vsHello === undefined ? '' : `${Math.round(x.vsHello * 100)}% of hello-world`);
    if (s.verify) {
      row(`\`POST /v1/tacs/verify\`, ${s.connections} connections`, `${s.verify.requestsPerSec} req/s, p50 ${s.verify.p50Ms} ms`, hello, share(s.verify), 'verifyThroughput');
      row('`POST /v1/tacs/verify` p99 latency', `${s.verify.p99Ms} ms`, '', `${s.verify.p99Ms} ms`, 'verifyP99');
    }
    if (s['verify-many']) row(`\`POST /v1/tacs/verify\`, 1,000 users in turn`, `${s['verify-many'].requestsPerSec} req/s, p50 ${s['verify-many'].p50Ms} ms, p99 ${s['verify-many'].p99Ms} ms`, hello, share(s['verify-many']), '');
    if (s.issue) row(`\`POST /v1/tacs\` (issue), ${s.connections} connections`, `${s.issue.requestsPerSec} req/s, p50 ${s.issue.p50Ms} ms, p99 ${s.issue.p99Ms} ms`, hello, share(s.issue), '');
    if (s.pg) pgRows(s, row, share);
    const measured = { hello: s.hello, hello2: s.hello2, ...Object.fromEntries(ENDPOINTS.map((e) => [e, s[e]])), ...Object.fromEntries(['one', 'two'].flatMap((n) => ENDPOINTS.map((e) => [`pg ${n} ${e}`, s.pg?.[n][e]]))) };
    const bad = Object.keys(measured).filter((k) => measured[k]?.non2xx || measured[k]?.errors);
    if (bad.length) lines.push(`| errors | ${bad.map((k) => `${k}: ${measured[k].non2xx} non-2xx, ${measured[k].errors} errors`).join('; ')} | | | | |`);
  }
  if (r.import) {
    const judged = judgedImport(r.import);
    for (const x of Object.values(r.import)) {
      const rate = `${x.rowsPerSec.toLocaleString('en')} rows/s, ${round(x.rowsPerSec / TARGETS.importRate.min, 2)}× the target`;
      row(`\`tac guests import\` ${x.rows.toLocaleString('en')} rows (${x.csvMb} MiB CSV)`, `${x.medianMs} ms (CPU ${x.medianCpuMs} ms); runs ${x.runs.map((y) => y.rowsPerSec.toLocaleString('en')).join(', ')} rows/s`, '', `${rate}; peak RSS ${x.peakRssMb} MiB`, x === judged ? 'importRate' : undefined);
    }
    if (r.targets.importRss) {
      const [small, large] = [Object.values(r.import)[0], Object.values(r.import).at(-1)];
      row('import peak RSS, largest vs smallest file', `${large.peakRssMb} MiB (${large.rows.toLocaleString('en')} rows)`, `${small.peakRssMb} MiB (${small.rows.toLocaleString('en')} rows)`, `${r.targets.importRss.value}×`, 'importRss');
    }
  }
  lines.push('');
  if (r.cold || r.generate) lines.push(`Cold start and generate: median of ${r.options.runs} runs each, interleaved with \`node -e 0\` in rotating order; wall time from spawn to exit.`);
  if (r.serve) lines.push(`Server: autocannon, ${r.serve.connections} connections, ${r.serve.rounds} rounds × ${r.serve.durationSeconds} s per endpoint after a 2 s warm-up; req/s and p50 averaged over rounds, p99 the worst round.`);
  if (r.serve?.pg) lines.push(`PostgreSQL ${r.serve.pg.version} on this machine (${r.serve.pg.settings.join(', ')}), pool of ${r.serve.pg.poolSizePerReplica} connections per replica; two replicas: autocannon's connections alternate between their ports (no proxy), the baseline two hello-worlds likewise. SQLite: WAL, synchronous = NORMAL.`);
  if (r.import) lines.push(`Import: whole process, fresh database each run, median of ${r.options.repeats} runs; peak RSS by ${r.options.rssMethod}, the highest run.`);
  return `${lines.join('\n')}\n`;
}
