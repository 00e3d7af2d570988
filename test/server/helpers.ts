import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RouteOptions } from 'fastify';
import { LocalBackend } from '../../src/backends/local.js';
import type { Role } from '../../src/core/agents.js';
import { FakeClock } from '../../src/core/clock.js';
import { AgentService } from '../../src/server/agent-service.js';
import { buildApp, type AppOptions, type TacServer } from '../../src/server/app.js';

export const START = '2026-01-01T00:00:00.000Z';

export interface Creds {
  clientId: string;
  clientSecret: string;
}

export interface ServerHarness {
  app: TacServer;
  backend: LocalBackend;
  clock: FakeClock;
  dir: string;
  dbPath: string;
  keyPath: string;
  /** Every request log line, parsed. */
  logs: () => Record<string, unknown>[];
  rawLogs: () => string;
  routes: RouteOptions[];
  agent(role: Role, name?: string): Promise<Creds>;
  token(creds: Creds, scope?: string): Promise<string>;
  /** A bearer token for a fresh agent of this role. */
  tokenFor(role: Role): Promise<string>;
  close(): Promise<void>;
}

export function tempDb(): { dir: string; dbPath: string; keyPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tac-server-'));
  return { dir, dbPath: join(dir, 'tac.db'), keyPath: join(dir, 'hmac.key') };
}

export async function makeServer(opts: Partial<AppOptions> = {}): Promise<ServerHarness> {
  const { dir, dbPath, keyPath } = tempDb();
  const clock = (opts.clock as FakeClock | undefined) ?? new FakeClock(START);
  const backend = new LocalBackend({ dbPath, keyPath, actor: 'tester', clock });
  const lines: string[] = [];
  const routes: RouteOptions[] = [];
  const app = await buildApp({ backend, clock, stderr: { write: (s) => lines.push(s) }, onRoute: (r) => routes.push(r), ...opts });
  const agents = new AgentService(backend.engine, clock);
  let n = 0;

  const h: ServerHarness = {
    app, backend, clock, dir, dbPath, keyPath, routes,
    logs: () => lines.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
    rawLogs: () => lines.join(''),
    async agent(role, name = `${role}-${++n}`) {
      const c = await agents.create({ core: backend.core, actor: 'tester' }, { name, role });
      return { clientId: c.clientId, clientSecret: c.clientSecret };
    },
    async token(creds, scope) {
      const res = await app.inject({
        method: 'POST', url: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          grant_type: 'client_credentials', client_id: creds.clientId, client_secret: creds.clientSecret, ...(scope ? { scope } : {}),
        }).toString(),
      });
      if (res.statusCode !== 200) throw new Error(`token request failed: ${res.statusCode} ${res.body}`);
      return res.json().access_token as string;
    },
    async tokenFor(role) {
      return h.token(await h.agent(role));
    },
    async close() {
      await app.close();
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
