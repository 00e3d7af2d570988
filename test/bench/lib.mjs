// Helpers shared by the benchmark sections: hermetic environments, timed process runs, statistics.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, '../..');
export const NODE = process.execPath;

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
export const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Set by `--cpu-prof DIR`: every process the bench starts writes a V8 CPU profile there (timings are then meaningless). */
export const profiling = { dir: undefined };

/** How to start `bin/tac` with these arguments: directly (its shebang), or under node --cpu-prof. */
export const tacCommand = (bin, args) => (profiling.dir ? [NODE, ['--cpu-prof', `--cpu-prof-dir=${profiling.dir}`, bin, ...args]] : [bin, args]);

/** A fresh HOME with XDG dirs, no TAC_* from the caller, no keychain, never prompting. */
export function hermeticEnv(label) {
  const home = mkdtempSync(join(tmpdir(), `tac-bench-${label}-`));
  mkdirSync(join(home, 'data'), { recursive: true });
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    HOME: home,
    XDG_DATA_HOME: join(home, 'data'),
    XDG_CONFIG_HOME: join(home, 'config'),
    TAC_KEYCHAIN: 'off',
    CI: '1',
  };
  return { home, env, db: join(home, 'data', 'tac', 'tac.db'), cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** Runs `bin/tac` to completion (set-up steps); throws with its stderr on a non-zero exit. */
export function tac(bin, env, args, { input } = {}) {
  const r = spawnSync(...tacCommand(bin, args), { env, input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tac ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

export const tacJson = (bin, env, args) => JSON.parse(tac(bin, env, [...args, '--json']));

/** Wall time of one process run, spawn to exit, in ms. Output is read (like a shell would) and discarded. */
export function timeRun(cmd, args, env) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`);
  return ms;
}

/**
 * Runs each named command `runs` times, interleaved and rotating the order every round so that
 * drift in machine load hits every command alike. Two unrecorded warm-up rounds fill the page cache.
 */
export function interleaved(commands, runs, env) {
  const names = Object.keys(commands);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = -2; i < runs; i++) {
    const k = ((i % names.length) + names.length) % names.length;
    for (const n of [...names.slice(k), ...names.slice(0, k)]) {
      const [cmd, args] = commands[n];
      const ms = timeRun(cmd, args, env);
      if (i >= 0) times[n].push(ms);
    }
  }
  return times;
}

const TIME = '/usr/bin/time';
const RSS_MARK = 'TAC_BENCH_MAXRSS_KB=';
const CPU_MARK = 'TAC_BENCH_CPU_S=';

/** How peak RSS is measured: GNU time's %M if present, else a preload that reports process.resourceUsage(). */
export const rssMethod = existsSync(TIME) ? '/usr/bin/time -f %M' : 'process.resourceUsage().maxRSS (preload)';

/** Runs a command to completion, returning wall time (ms), peak RSS (KiB), CPU time (ms, with GNU time) and its output. */
export async function runMeasured(bin, args, env) {
  let cmd;
  let argv;
  if (existsSync(TIME)) {
    const [c, a] = tacCommand(bin, args);
    cmd = TIME;
    argv = ['-f', `${RSS_MARK}%M ${CPU_MARK}%U+%S`, c, ...a];
  } else {
    cmd = NODE;
    argv = ['--import', join(HERE, 'maxrss-preload.mjs'), ...(profiling.dir ? ['--cpu-prof', `--cpu-prof-dir=${profiling.dir}`] : []), bin, ...args];
  }
  const child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = [];
  const err = [];
  child.stdout.on('data', (c) => out.push(c));
  child.stderr.on('data', (c) => err.push(c));
  const t0 = performance.now();
  const code = await new Promise((res) => child.on('close', (c) => res(c)));
  const ms = performance.now() - t0;
  const stderr = Buffer.concat(err).toString();
  if (code !== 0) throw new Error(`${bin} ${args.join(' ')} exited ${code}: ${stderr}`);
  const m = new RegExp(`${RSS_MARK}(\\d+)`).exec(stderr);
  const cpu = new RegExp(`${CPU_MARK}([\\d.]+)\\+([\\d.]+)`).exec(stderr);
  return { ms, maxRssKb: m ? Number(m[1]) : NaN, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN, stdout: Buffer.concat(out).toString(), stderr };
}

/** Starts a long-running process and resolves with the first JSON value it prints on stdout. */
export function startProcess(cmd, args, { env, stderrFd }) {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', stderrFd ?? 'ignore'] });
  const ready = new Promise((res, rej) => {
    let buf = '';
    const onData = (c) => {
      buf += c;
      try {
        const value = JSON.parse(buf);
        child.stdout.off('data', onData);
        child.stdout.resume();
        res(value);
      } catch {
        // not complete yet
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.on('exit', (code) => rej(new Error(`${cmd} ${args.join(' ')} exited ${code} before it printed its address`)));
  });
  const stop = () => new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res();
    child.on('exit', () => res());
    child.kill('SIGTERM');
  });
  return { child, ready, stop };
}

/**
 * CPU time (user + system, ms) the processes `pids` have used so far, from /proc (Linux; NaN
 * elsewhere or for a process gone), and the children of `parents` (a PostgreSQL postmaster's backends).
 */
export function cpuMs(pids, parents = []) {
  if (!existsSync('/proc/self/stat')) return NaN;
  const stat = (pid) => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    } catch {
      return undefined;
    }
  };
  const all = new Set(pids.map(String));
  if (parents.length) {
    const ps = new Set(parents.map(String));
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) if (ps.has(stat(pid)?.[1])) all.add(pid);
    for (const p of ps) all.add(p);
  }
  let ticks = 0;
  for (const pid of all) {
    const f = stat(pid);
    if (f) ticks += Number(f[11]) + Number(f[12]);
  }
  return (ticks * 1000) / CLOCK_TICKS;
}

const CLOCK_TICKS = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(r.stdout) || 100;
})();

export function gitCommit(root = ROOT) {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no', 'src', 'bin'], { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? `${r.stdout.trim()}${dirty.stdout.trim() ? ' (src or bin modified)' : ''}` : 'unknown';
}

