/** The e2e backends: a SQLite database, `tac serve` on SQLite, `tac serve` on PostgreSQL (see tac.ts). */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, pgAdminUrl } from '../../pg/db.js';
import { baseEnv, describeRun, mergeEnv, parseJson, parseJsonLines, REPO_ROOT, runTac, TAC_BIN, type Env } from './process.js';

// ---- backends ------------------------------------------------------------------------------------

/** What a backend variant provides once started in a temp root. */
export interface BackendInstance {
  /** Environment of the CLI under test (`env.tac`). */
  clientEnv: Record<string, string>;
  /** Environment for setup commands (`env.admin`); may equal clientEnv. */
  adminEnv: Record<string, string>;
  /** The audit `actor` recorded for commands run with clientEnv. */
  actor: string;
  /** Directories whose files must never contain an issued code (database, WAL, config, server state). */
  secretRoots: string[];
  /** Paths of the database and key files, when the variant exposes them (local only). */
  paths?: { db: string; keyFile: string; dataDir: string; configDir: string };
  /** The server and its agents (remote only). */
  remote?: RemoteInfo;
  stop(): Promise<void>;
}

export interface BackendVariant {
  name: string;
  start(root: string): Promise<BackendInstance>;
}

/** Temp dirs for one environment: HOME, XDG data/config, and a TAC_DB in the data dir. */
export function localDirs(root: string) {
  const home = join(root, 'home');
  const data = join(root, 'xdg-data');
  const config = join(root, 'xdg-config');
  for (const d of [home, data, config]) mkdirSync(d, { recursive: true });
  return {
    home,
    data,
    config,
    db: join(data, 'tac', 'tac.db'),
    keyFile: join(config, 'tac', 'hmac.key'),
    env: { ...baseEnv(), HOME: home, XDG_DATA_HOME: data, XDG_CONFIG_HOME: config, TAC_DB: join(data, 'tac', 'tac.db') },
  };
}

export const localBackend: BackendVariant = {
  name: 'local',
  async start(root) {
    const d = localDirs(root);
    return {
      clientEnv: d.env,
      adminEnv: d.env,
      actor: userInfo().username,
      // Not the work dir: files a test writes there (e.g. guests import --out) hold codes by design.
      secretRoots: [d.home, d.data, d.config],
      paths: { db: d.db, keyFile: d.keyFile, dataDir: join(d.data, 'tac'), configDir: join(d.config, 'tac') },
      async stop() {},
    };
  },
};

// ---- tac serve ------------------------------------------------------------------------------------

export interface ServeProcess {
  /** The URL `tac serve` printed on the first line of stdout. */
  url: string;
  child: ChildProcess;
  /** Everything written to stdout / stderr so far (stderr is the request log). */
  stdout(): string;
  stderr(): string;
  /** The server's JSON log lines so far, parsed. */
  log(): Record<string, unknown>[];
  /**
   * Waits until the request log holds a line for each of these request ids (the server writes it
   * just after the response, so a client may see the response first). Without ids, makes a
   * request of its own (GET /healthz) and waits for its line: every earlier line is there too.
   */
  flushLog(...reqIds: string[]): Promise<void>;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (SIGTERM by default) and waits for the exit; SIGKILLs after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Servers still running when the test process exits (a crash, an interrupted run) are killed. */
const liveServers = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of liveServers) c.kill('SIGKILL');
});

/** Server start-up is slow on a loaded CI machine: be generous, this is not a timing assertion. */
export const SERVE_START_TIMEOUT_MS = 60_000;

/**
 * Starts `bin/tac serve ...args` and resolves once it printed its URL (the first stdout line).
 * Rejects, with the output, when the process exits first or stays silent for `timeoutMs`.
 */
export function startServe(args: string[], env: Env, opts: { timeoutMs?: number } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [TAC_BIN, 'serve', ...args], { env: mergeEnv(env), cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  liveServers.add(child);
  child.on('close', () => liveServers.delete(child));
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.on('close', (code, signal) => res({ code, signal }));
  });
  let url = '';
  const proc: Omit<ServeProcess, 'url'> = {
    child,
    stdout: () => out,
    stderr: () => err,
    log: () => parseJsonLines<Record<string, unknown>>(err),
    async flushLog(...reqIds) {
      if (!reqIds.length) {
        const res = await fetch(`${url}/healthz`);
        await res.arrayBuffer();
        reqIds = [res.headers.get('x-request-id') ?? ''];
      }
      const deadline = Date.now() + 15_000;
      while (!reqIds.every((id) => err.includes(`"reqId":"${id}"`))) {
        if (Date.now() > deadline) throw new Error(`tac serve: no log line for request ${reqIds.join(', ')} within 15 s\n${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    exited,
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return new Promise((resolvePromise, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      reject(new Error(`tac serve ${args.join(' ')}: ${why}\n--- stdout ---\n${out}--- stderr ---\n${err}`));
    };
    const timer = setTimeout(() => {
      fail(`printed no URL within ${opts.timeoutMs ?? SERVE_START_TIMEOUT_MS} ms`);
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? SERVE_START_TIMEOUT_MS);
    const onData = () => {
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      url = out.slice(0, nl).trim();
      resolvePromise({ ...proc, url });
    };
    child.stdout!.on('data', onData);
    child.on('error', (e) => fail(`could not start: ${e.message}`));
    void exited.then(({ code, signal }) => {
      if (out.indexOf('\n') < 0) fail(`exited (code ${code}, signal ${signal}) before printing its URL`);
    });
  });
}

// ---- the remote variant ---------------------------------------------------------------------------

export const ROLES = ['admin', 'helpdesk', 'provisioner', 'app'] as const;
export type Role = (typeof ROLES)[number];

export interface AgentCreds {
  name: string;
  role: Role;
  clientId: string;
  clientSecret: string;
}

/** What the remote variant exposes besides the client env (remote-only tests use it). */
export interface RemoteInfo {
  server: ServeProcess;
  url: string;
  /** One agent per role, created on the server's database before it started. */
  agents: Record<Role, AgentCreds>;
  /** The server's own environment (HOME, XDG dirs, TAC_DB) and database path. */
  serverEnv: Record<string, string>;
  db: string;
  /** The client's config dir ($XDG_CONFIG_HOME/tac): profiles and credentials.json go here. */
  clientConfigDir: string;
  /** The client's environment without any TAC_SERVER / TAC_CLIENT_* (for login tests). */
  bareClientEnv: Record<string, string>;
  /** TAC_SERVER / TAC_CLIENT_ID / TAC_CLIENT_SECRET for an agent of `role`. */
  envFor(role: Role): Record<string, string>;
}

/** `tac agents create` on a database (as its local administrator); returns the credentials printed once. */
export async function createAgent(env: Env, name: string, role: Role): Promise<AgentCreds> {
  const r = await runTac(['agents', 'create', '--name', name, '--role', role, '--json'], env, { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`agents create failed\n${describeRun(r)}`);
  const created = parseJson<{ clientId: string; clientSecret: string }>(r);
  return { name, role, clientId: created.clientId, clientSecret: created.clientSecret };
}

/**
 * Server flags the harness adds: many e2e commands a minute, each a new CLI process with env
 * credentials and so a new token request, from one address.
 */
export const E2E_SERVE_FLAGS = ['--token-rate-limit', '1000000'];

/**
 * `tac serve` on a database: the remote variant's SQLite file in the server's data dir, or the
 * postgres variant's database on the test cluster (test/pg/cluster.ts).
 */
function servedBackend(name: string, database: (sqlitePath: string) => Promise<string>): BackendVariant {
  return {
    name,
    async start(root) {
      const server = localDirs(join(root, 'server'));
      server.env.TAC_DB = await database(server.db);
      return startServed(server, localDirs(join(root, 'client')));
    },
  };
}

export const remoteBackend = servedBackend('remote', async (sqlitePath) => sqlitePath);

/**
 * `tac serve` on a PostgreSQL database of its own (the agents created with `tac agents create
 * --db postgres://…`): the third backend, beside SQLite and `tac serve` on SQLite.
 */
export const postgresBackend = servedBackend('postgres', () => createTestDatabase('e2e'));

async function startServed(server: ReturnType<typeof localDirs>, client: ReturnType<typeof localDirs>): Promise<BackendInstance> {
  // The CLI under test knows no database: only the server's URL and an agent's credentials.
  const { TAC_DB: _unused, ...bareClientEnv } = client.env;
  void _unused;
  // The first agent creates the database (migrations, key); the others can then go in parallel.
  const admin = await createAgent(server.env, 'e2e-admin', 'admin');
  const others = await Promise.all((['helpdesk', 'provisioner', 'app'] as const).map((role) => createAgent(server.env, `e2e-${role}`, role)));
  const agents = Object.fromEntries([admin, ...others].map((a) => [a.role, a])) as Record<Role, AgentCreds>;
  const serve = await startServe(['--port', '0', '--db', server.env.TAC_DB, ...E2E_SERVE_FLAGS], server.env);
  const envFor = (role: Role) => ({ TAC_SERVER: serve.url, TAC_CLIENT_ID: agents[role].clientId, TAC_CLIENT_SECRET: agents[role].clientSecret });
  const clientEnv = { ...bareClientEnv, ...envFor('admin') };
  return {
    clientEnv,
    adminEnv: clientEnv,
    actor: `agent:${admin.name}`,
    // The server's database, WAL and key, and every file the client may have written.
    secretRoots: [server.home, server.data, server.config, client.home, client.data, client.config],
    remote: {
      server: serve, url: serve.url, agents, serverEnv: server.env, db: server.env.TAC_DB,
      clientConfigDir: join(client.config, 'tac'), bareClientEnv, envFor,
    },
    async stop() {
      const { code, signal } = await serve.stop('SIGTERM');
      if (code !== 0) throw new Error(`tac serve exited with ${code ?? signal} on SIGTERM (expected 0)\n--- stderr ---\n${serve.stderr()}`);
    },
  };
}

/**
 * Registered variants, all run by default; postgres only where the test cluster runs (without
 * PostgreSQL, test/pg/cluster.ts fails CI instead). A suite that is not about the engine or the
 * server opts out with describeBackends' `only`, saying why.
 */
export const BACKENDS: BackendVariant[] = [localBackend, remoteBackend, postgresBackend];

/** The variants that run `tac serve`: for suites about the server (`only: SERVED`). */
export const SERVED = ['remote', 'postgres'];

/** The variants to run (TAC_E2E_BACKENDS), among `only`; postgres only where the cluster runs. */
export function selectedBackends(only?: string[]): BackendVariant[] {
  const wanted = process.env.TAC_E2E_BACKENDS?.split(',').map((s) => s.trim()).filter(Boolean);
  return BACKENDS.filter((b) => {
    if (b.name === 'postgres' && !pgAdminUrl()) return false;
    return (!wanted || wanted.includes(b.name)) && (!only || only.includes(b.name));
  });
}
