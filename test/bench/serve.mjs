// `tac serve` under load (autocannon, 50 connections): POST /v1/tacs/verify and POST /v1/tacs (issue),
// against a bare Fastify hello-world started here, on the same machine, in the same run.
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { HERE, hermeticEnv, mean, NODE, round, startProcess, tac, tacCommand, tacJson } from './lib.mjs';

/** Users the issue benchmark cycles through (issuing replaces a user's live TAC, so spread the load). */
const ISSUE_USERS = 1000;
const WARMUP_SECONDS = 2;

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

export async function serveBench({ tacBin, duration, connections, rounds, endpoints = ['hello', 'verify', 'issue'], log = () => {} }) {
  const h = hermeticEnv('serve');
  const stops = [];
  try {
    // Data: a user with a multi-use TAC (every verify succeeds and nobody is locked out), and
    // ISSUE_USERS users to issue codes to.
    tac(tacBin, h.env, ['policy', 'set', '--multi-use-allowed']);
    tac(tacBin, h.env, ['users', 'add', '--username', 'verifier', '--email', 'verifier@example.com']);
    const issued = tacJson(tacBin, h.env, ['generate', '--user', 'verifier', '--multi-use', '--verified-by', 'callback', '--ttl', '8h']);
    const csv = join(h.home, 'users.csv');
    writeFileSync(csv, `username,email\n${Array.from({ length: ISSUE_USERS }, (_, i) => `u${i},u${i}@example.com`).join('\n')}\n`);
    tac(tacBin, h.env, ['users', 'import', csv]);
    const app = tacJson(tacBin, h.env, ['agents', 'create', '--name', 'bench-app', '--role', 'app']);
    const desk = tacJson(tacBin, h.env, ['agents', 'create', '--name', 'bench-desk', '--role', 'helpdesk']);

    // The server's request log (one JSON line per request) goes to a file, as it would in production.
    const logFd = openSync(join(h.home, 'serve.log'), 'w');
    const server = startProcess(...tacCommand(tacBin, ['serve', '--port', '0', '--json']), {
      env: { ...h.env, TAC_VERIFY_RATE_LIMIT: '1000000000' }, stderrFd: logFd,
    });
    stops.push(server.stop);
    const hello = startProcess(NODE, [join(HERE, 'hello-server.mjs')], { env: h.env });
    stops.push(hello.stop);
    closeSync(logFd);
    const tacUrl = (await server.ready).url;
    const helloUrl = (await hello.ready).url;

    const json = { 'content-type': 'application/json' };
    const verifyHeaders = { ...json, authorization: `Bearer ${await token(tacUrl, app)}` };
    const issueHeaders = { ...json, authorization: `Bearer ${await token(tacUrl, desk)}` };
    const verifyBody = JSON.stringify({ user: 'verifier', code: issued.code });

    // Sanity: the requests measured are the ones we mean.
    const v = await once(tacUrl, '/v1/tacs/verify', verifyHeaders, verifyBody);
    if (v.status !== 200 || v.body.valid !== true) throw new Error(`verify sanity check: ${v.status} ${JSON.stringify(v.body)}`);
    const i = await once(tacUrl, '/v1/tacs', issueHeaders, JSON.stringify({ user: 'u0', verifiedBy: 'callback' }));
    if (i.status !== 201) throw new Error(`issue sanity check: ${i.status} ${JSON.stringify(i.body)}`);

    let next = 0;
    const targets = {
      hello: { url: `${helloUrl}/hello`, method: 'POST', headers: json, body: verifyBody },
      verify: { url: `${tacUrl}/v1/tacs/verify`, method: 'POST', headers: verifyHeaders, body: verifyBody },
      issue: {
        url: tacUrl,
        requests: [{
          method: 'POST', path: '/v1/tacs', headers: issueHeaders,
          setupRequest: (req) => ({ ...req, body: JSON.stringify({ user: `u${next++ % ISSUE_USERS}`, verifiedBy: 'callback' }) }),
        }],
      },
    };

    const runs = Object.fromEntries(endpoints.map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      for (const name of endpoints) {
        const t = targets[name];
        await cannon({ ...t, connections, duration: WARMUP_SECONDS });
        const result = pick(await cannon({ ...t, connections, duration }));
        log(`  round ${r + 1} ${name}: ${result.requestsPerSec} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`);
        runs[name].push(result);
      }
    }
    const summary = Object.fromEntries(Object.entries(runs).map(([name, rs]) => [name, {
      requestsPerSec: round(mean(rs.map((x) => x.requestsPerSec)), 0),
      p50Ms: round(mean(rs.map((x) => x.p50Ms)), 2),
      // The worst round's p99: the target is a ceiling.
      p99Ms: Math.max(...rs.map((x) => x.p99Ms)),
      non2xx: rs.reduce((a, x) => a + x.non2xx, 0),
      errors: rs.reduce((a, x) => a + x.errors, 0),
      rounds: rs,
    }]));
    for (const name of ['verify', 'issue']) {
      if (summary[name] && summary.hello) summary[name].vsHello = round(summary[name].requestsPerSec / summary.hello.requestsPerSec, 3);
    }
    return { connections, durationSeconds: duration, rounds, ...summary };
  } finally {
    for (const stop of stops.reverse()) await stop();
    h.cleanup();
  }
}
