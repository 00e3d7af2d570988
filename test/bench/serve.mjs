// `tac serve` under load (autocannon, 50 connections): POST /v1/tacs/verify and POST /v1/tacs (issue),
// against a bare Fastify hello-world started here, on the same machine, in the same run. With
// PostgreSQL (`pg`): the same requests to one replica on a PostgreSQL database and to two replicas
// of it, interleaved with the SQLite server's rounds so that drifting machine load hits all alike.
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { cpuMs, HERE, hermeticEnv, mean, NODE, round, startProcess, tac, tacCommand, tacJson } from './lib.mjs';
import { startPgReplicas } from './pg.mjs';

/** Users the issue benchmark cycles through (issuing replaces a user's live TAC, so spread the load). */
const ISSUE_USERS = 1000;
/**
 * Guests the verify-many benchmark cycles through, each with a multi-use code. `verify` hits one
 * user (on PostgreSQL every verify of a user locks its row, so those run one after another,
 * whatever the replicas); verify-many is a help desk's sign-ins, spread over users.
 */
const VERIFY_USERS = 1000;
const WARMUP_SECONDS = 2;
/** What is measured on every server, in this order within a round. */
export const ENDPOINTS = ['verify', 'verify-many', 'issue'];
/** The servers' per-client verify limit, lifted: every request comes from 127.0.0.1. */
const SERVER_ENV = { TAC_VERIFY_RATE_LIMIT: '1000000000' };

async function token(url, creds) {
  const res = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${creds.clientId}:${creds.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  if (res.status !== 200) throw new Error(`POST /oauth/token: ${res.status} ${await res.text()}`);
  return (await res.json()).access_token;
}

async function once(url, path, headers, body) {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers, body });
  return { status: res.status, body: await res.json() };
}

function cannon(opts) {
  return new Promise((res, rej) => {
    autocannon(opts, (err, result) => (err ? rej(err) : res(result)));
  });
}

const pick = (r) => ({
  requestsPerSec: round(r.requests.average, 0),
  p50Ms: r.latency.p50,
  p99Ms: r.latency.p99,
  maxMs: r.latency.max,
  requests: r.requests.total,
  non2xx: r.non2xx,
  errors: r.errors + r.timeouts,
});

/**
 * The data every server is measured on: a user with a multi-use TAC (every verify succeeds and
 * nobody is locked out), VERIFY_USERS guests with one each, ISSUE_USERS users to issue codes to,
 * and an app and a help-desk agent.
 */
function seed(tacBin, env, home) {
  tac(tacBin, env, ['policy', 'set', '--multi-use-allowed']);
  tac(tacBin, env, ['users', 'add', '--username', 'verifier', '--email', 'verifier@example.com']);
  const issued = tacJson(tacBin, env, ['generate', '--user', 'verifier', '--multi-use', '--verified-by', 'callback', '--ttl', '8h']);
  const csv = join(home, 'users.csv');
  writeFileSync(csv, `username,email\n${Array.from({ length: ISSUE_USERS }, (_, i) => `u${i},u${i}@example.com`).join('\n')}\n`);
  tac(tacBin, env, ['users', 'import', csv]);
  const guests = join(home, 'guests.csv');
  writeFileSync(guests, `email,name,username\n${Array.from({ length: VERIFY_USERS }, (_, i) => `g${i}@example.com,Guest ${i},g${i}`).join('\n')}\n`);
  const many = tac(tacBin, env, ['guests', 'import', guests, '--multi-use', '--ttl', '8h']).trim().split('\n').map((l) => JSON.parse(l));
  const app = tacJson(tacBin, env, ['agents', 'create', '--name', 'bench-app', '--role', 'app']);
  const desk = tacJson(tacBin, env, ['agents', 'create', '--name', 'bench-desk', '--role', 'helpdesk']);
  return { code: issued.code, bodies: many.map((g) => JSON.stringify({ user: g.user.username, code: g.code })), app, desk };
}

/**
 * autocannon options for verify and issue on the servers at `urls`: with several, autocannon
 * opens its connections to them in turn (connection i to urls[i % n]), a connection-level
 * round robin like a TCP load balancer's, with no proxy process taking CPU from the servers.
 */
async function targetsFor(urls, seeded, next) {
  const json = { 'content-type': 'application/json' };
  const verifyHeaders = { ...json, authorization: `Bearer ${await token(urls[0], seeded.app)}` };
  const issueHeaders = { ...json, authorization: `Bearer ${await token(urls[0], seeded.desk)}` };
  const verifyBody = JSON.stringify({ user: 'verifier', code: seeded.code });
  // Sanity: the requests measured are the ones we mean, on every server (tokens are in the database).
  for (const url of urls) {
    const v = await once(url, '/v1/tacs/verify', verifyHeaders, verifyBody);
    if (v.status !== 200 || v.body.valid !== true) throw new Error(`verify sanity check on ${url}: ${v.status} ${JSON.stringify(v.body)}`);
    const i = await once(url, '/v1/tacs', issueHeaders, JSON.stringify({ user: 'u0', verifiedBy: 'callback' }));
    if (i.status !== 201) throw new Error(`issue sanity check on ${url}: ${i.status} ${JSON.stringify(i.body)}`);
    const m = await once(url, '/v1/tacs/verify', verifyHeaders, seeded.bodies[0]);
    if (m.status !== 200 || m.body.valid !== true) throw new Error(`verify-many sanity check on ${url}: ${m.status} ${JSON.stringify(m.body)}`);
  }
  return {
    verify: { url: urls.map((u) => `${u}/v1/tacs/verify`), method: 'POST', headers: verifyHeaders, body: verifyBody },
    'verify-many': {
      url: urls,
      requests: [{ method: 'POST', path: '/v1/tacs/verify', headers: verifyHeaders, setupRequest: (req) => ({ ...req, body: seeded.bodies[next.v++ % VERIFY_USERS] }) }],
    },
    issue: {
      url: urls,
      requests: [{
        method: 'POST', path: '/v1/tacs', headers: issueHeaders,
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ user: `u${next.n++ % ISSUE_USERS}`, verifiedBy: 'callback' }) }),
      }],
    },
    helloBody: verifyBody,
  };
}

function summarize(rs) {
  return {
    requestsPerSec: round(mean(rs.map((x) => x.requestsPerSec)), 0),
    p50Ms: round(mean(rs.map((x) => x.p50Ms)), 2),
    // The worst round's p99: the target is a ceiling.
    p99Ms: Math.max(...rs.map((x) => x.p99Ms)),
    non2xx: rs.reduce((a, x) => a + x.non2xx, 0),
    errors: rs.reduce((a, x) => a + x.errors, 0),
    serverCpuMsPerRequest: round(mean(rs.map((x) => x.serverCpuMsPerRequest)), 3),
    ...(rs[0].dbCpuMsPerRequest === undefined ? {} : { dbCpuMsPerRequest: round(mean(rs.map((x) => x.dbCpuMsPerRequest)), 3) }),
    rounds: rs,
  };
}

/**
 * `backends`: ['sqlite'] or ['sqlite', 'pg']. Results: hello, verify, issue (SQLite) as before;
 * with pg also hello2 (two hello-worlds, round robin) and pg.one / pg.two ({ verify, issue }).
 */
export async function serveBench({ tacBin, duration, connections, rounds, endpoints = ['hello', ...ENDPOINTS], backends = ['sqlite'], synchronousCommit = 'on', poolSize = 10, log = () => {} }) {
  const h = hermeticEnv('serve');
  const stops = [];
  try {
    const seeded = seed(tacBin, h.env, h.home);
    // The server's request log (one JSON line per request) goes to a file, as it would in production.
    const logFd = openSync(join(h.home, 'serve.log'), 'w');
    const server = startProcess(...tacCommand(tacBin, ['serve', '--port', '0', '--json']), { env: { ...h.env, ...SERVER_ENV }, stderrFd: logFd });
    stops.push(server.stop);
    closeSync(logFd);
    const withPg = backends.includes('pg');
    const hellos = Array.from({ length: withPg ? 2 : 1 }, () => startProcess(NODE, [join(HERE, 'hello-server.mjs')], { env: h.env }));
    for (const x of hellos) stops.push(x.stop);
    const helloUrls = [];
    for (const x of hellos) helloUrls.push(`${(await x.ready).url}/hello`);

    const next = { n: 0, v: 0 };
    const sqlite = await targetsFor([(await server.ready).url], seeded, next);
    const json = { 'content-type': 'application/json' };
    // name → [result key, autocannon options]; measured in this order every round.
    // name → [autocannon options, the server processes whose CPU time it uses, their parents'];
    // measured in this order every round.
    const plan = [];
    if (endpoints.includes('hello')) plan.push(['hello', { url: helloUrls[0], method: 'POST', headers: json, body: sqlite.helloBody }, [hellos[0].child.pid]]);
    let pgInfo;
    let pgTargets;
    let pgPids;
    let pgPostmaster;
    if (withPg) {
      log('  starting PostgreSQL and two replicas');
      const replicas = await startPgReplicas({
        tacBin, env: h.env, home: h.home, replicas: 2, synchronousCommit, poolSize, serverEnv: SERVER_ENV, seed: (env) => seed(tacBin, env, h.home),
      });
      stops.push(replicas.stop);
      ({ pids: pgPids, postmaster: pgPostmaster } = replicas);
      pgInfo = { version: replicas.version, settings: replicas.settings, poolSizePerReplica: poolSize };
      pgTargets = { one: await targetsFor(replicas.urls.slice(0, 1), replicas.seeded, next), two: await targetsFor(replicas.urls, replicas.seeded, next) };
      if (endpoints.includes('hello')) plan.push(['hello2', { url: helloUrls, method: 'POST', headers: json, body: sqlite.helloBody }, hellos.map((x) => x.child.pid)]);
    }
    for (const e of ENDPOINTS.filter((x) => endpoints.includes(x))) {
      plan.push([e, sqlite[e], [server.child.pid]]);
      if (pgTargets) plan.push([`pg.one.${e}`, pgTargets.one[e], pgPids.slice(0, 1), [pgPostmaster]], [`pg.two.${e}`, pgTargets.two[e], pgPids, [pgPostmaster]]);
    }

    const runs = Object.fromEntries(plan.map(([k]) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      for (const [name, t, pids, parents = []] of plan) {
        await cannon({ ...t, connections, duration: WARMUP_SECONDS });
        const servers = cpuMs(pids);
        const db = parents.length ? cpuMs([], parents) : 0;
        const result = pick(await cannon({ ...t, connections, duration }));
        // CPU per request: the server processes', and PostgreSQL's (what the 2 cores are shared by).
        result.serverCpuMsPerRequest = round((cpuMs(pids) - servers) / result.requests, 3);
        if (parents.length) result.dbCpuMsPerRequest = round((cpuMs([], parents) - db) / result.requests, 3);
        log(`  round ${r + 1} ${name}: ${result.requestsPerSec} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, CPU/request ${result.serverCpuMsPerRequest}${result.dbCpuMsPerRequest === undefined ? '' : ` + ${result.dbCpuMsPerRequest} (PostgreSQL)`} ms${result.non2xx || result.errors ? `, ${result.non2xx} non-2xx, ${result.errors} errors` : ''}`);
        runs[name].push(result);
      }
    }
    const s = Object.fromEntries(Object.entries(runs).filter(([k]) => !k.startsWith('pg.')).map(([k, rs]) => [k, summarize(rs)]));
    const ratio = (a, b) => (a && b ? round(a.requestsPerSec / b.requestsPerSec, 3) : undefined);
    for (const name of ENDPOINTS) if (s[name]) s[name].vsHello = ratio(s[name], s.hello);
    if (withPg) {
      s.pg = { ...pgInfo };
      for (const n of ['one', 'two']) {
        s.pg[n] = {};
        for (const e of ENDPOINTS) {
          if (!runs[`pg.${n}.${e}`]) continue;
          const x = summarize(runs[`pg.${n}.${e}`]);
          x.vsHello = ratio(x, n === 'one' ? s.hello : s.hello2);
          x.vsSqlite = ratio(x, s[e]);
          s.pg[n][e] = x;
        }
      }
    }
    return { connections, durationSeconds: duration, rounds, ...s };
  } finally {
    for (const stop of stops.reverse()) await stop();
    h.cleanup();
  }
}
