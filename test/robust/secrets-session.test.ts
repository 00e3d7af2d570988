import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  api, createAgent, describeRun, fileSources, filesUnder, findSecrets, getToken, openRo, parseJsonLines, RobustEnv, startServe,
  type Creds, type RunningServer, type RunResult,
} from './helpers.js';

/**
 * Secret hygiene over a full scripted session: users, every way of issuing a code (generate piped,
 * --json, --spell; guests create; guests import to stdout and to --out), verify right and wrong,
 * list, audit, users show/search, purge; a `tac serve` with its request log; agents; `tac login`
 * with the file fallback (TAC_KEYCHAIN=off); remote commands through the stored profile and through
 * TAC_CLIENT_ID/TAC_CLIENT_SECRET; raw API calls, including a failed token request.
 *
 * Then: no issued code, client secret or access token in the database, its WAL, the data, config
 * and home dirs, the server log, or any byte printed by any command other than the one that issued
 * it. The one documented exception: credentials.json (the file fallback of `tac login`) holds the
 * logged-in agent's secret and its cached token, and nothing else.
 */
describe('secret hygiene: a scripted full session, then a scan of every file and every output', () => {
  // No TAC_DB: the database is the data dir's default, and after `tac login` the profile applies.
  const env = new RobustEnv('secrets', { TAC_KEYCHAIN: 'off', TAC_DB: undefined });
  const codes: string[] = [];
  const clientSecrets: string[] = [];
  const tokens: string[] = [];
  /** Runs whose output must not hold any secret; issuing runs are kept apart. */
  const scanned: RunResult[] = [];
  const issuing: RunResult[] = [];
  let server: RunningServer | undefined;
  let holder: Database.Database | undefined;
  let loggedIn: Creds | undefined;

  afterAll(async () => {
    holder?.close();
    await server?.stop();
    env.cleanup();
  });

  /** A command that issues nothing: its whole output is scanned. */
  const run = async (args: string[], opts: { stdin?: string; env?: Record<string, string | undefined>; expect?: number[] } = {}) => {
    const r = await env.tac(args, opts);
    expect(opts.expect ?? [0], describeRun(r)).toContain(r.code);
    scanned.push(r);
    return r;
  };

  /** A command that prints a code or a secret by design (only to stdout: its stderr is scanned). */
  const issue = async (args: string[], opts: { stdin?: string; env?: Record<string, string | undefined> } = {}) => {
    const r = await env.tac(args, opts);
    expect(r.code, describeRun(r)).toBe(0);
    issuing.push(r);
    return r;
  };

  const jsonLines = <T>(text: string) => parseJsonLines<T>(text);

  it('a local session issues codes every way and uses them', async () => {
    await run(['policy', 'show']);
    // A reader that stays open, so the CLIs never checkpoint the WAL away: it is scanned too.
    holder = openRo(env.dbPath);
    holder.prepare('SELECT count(*) FROM sqlite_master').get();

    await run(['users', 'add', '--username', 'alice', '--email', 'alice@example.com', '--phone', '+15550101010', '--name', 'Alice']);
    await run(['users', 'add', '--username', 'bob', '--email', 'bob@example.com']);
    await run(['users', 'add', '--username', 'carol', '--email', 'carol@example.com']);
    await run(['policy', 'set', '--multi-use-allowed']);

    codes.push((await issue(['generate', '--verified-by', 'callback', '--user', 'alice', '--reason', 'lost phone'])).stdout.trim());
    codes.push(JSON.parse((await issue(['generate', '--verified-by', 'id-document', '--verification-note', 'passport', '--user', 'bob', '--json'])).stdout).code);
    const spelled = await issue(['generate', '--verified-by', 'callback', '--user', 'carol', '--multi-use', '--spell']);
    codes.push(spelled.stdout.split('\n')[0]!.trim());
    codes.push(JSON.parse((await issue(['guests', 'create', '--email', 'g1@example.com', '--name', 'G1', '--json'])).stdout).code);
    const csv = join(env.root, 'work-guests.csv');
    writeFileSync(csv, 'email,name\ng2@example.com,G2\ng3@example.com,"Three, G"\n');
    codes.push(...jsonLines<{ code: string }>((await issue(['guests', 'import', csv])).stdout).map((t) => t.code));
    const out = join(env.root, 'codes.jsonl');
    await issue(['guests', 'import', csv, '--on-existing', 'reissue', '--out', out]);
    codes.push(...jsonLines<{ code: string }>(readFileSync(out, 'utf8')).map((t) => t.code));
    expect(codes).toHaveLength(8);
    for (const c of codes) expect(c).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/);

    // Right and wrong, in every form a caller might type them.
    await run(['verify', '--user', 'alice'], { stdin: `${codes[0]}\n` });
    await run(['verify', '--user', 'alice', '--json'], { stdin: `${codes[0]}\n`, expect: [6] });
    await run(['verify', '--user', 'carol', '--json'], { stdin: `${codes[2]!.toLowerCase()}\n` });
    await run(['verify', '--user', 'carol'], { stdin: `${codes[2]!.slice(0, 4)} ${codes[2]!.slice(4)}\n` });
    await run(['verify', '--user', 'bob'], { stdin: `${codes[2]}\n`, expect: [6] });
    await run(['verify', '--user', 'nobody', '--json'], { stdin: `${codes[1]}\n`, expect: [6] });
    await run(['verify', '--user', 'g2@example.com', '--json'], { stdin: `${codes[4]}\n`, expect: [6] }); // replaced by the reissue
    await run(['verify', '--user', 'g2@example.com', '--json'], { stdin: `${codes[6]}\n` });
    await run(['verify', '--user', 'bob', '--debug'], { stdin: `${codes[1]}X\n`, expect: [6] });

    for (const args of [
      ['list'], ['list', '--json', '--limit', '1000'], ['list', '--status', 'all', '--user', 'alice', '--json'],
      ['users', 'show', 'alice'], ['users', 'show', 'carol', '--json'], ['users', 'show', 'g2@example.com', '--json'],
      ['users', 'search'], ['users', 'search', '--json', '--limit', '1000'], ['audit'], ['audit', '--json', '--limit', '1000'],
      ['audit', '--user', 'alice', '--json'], ['policy', 'show', '--json'], ['purge', '--dry-run', '--json'],
    ]) await run(args);
    await run(['delete', '--yes', '--user', 'bob']);
    await run(['users', 'disable', '--yes', 'g3@example.com']);
  }, 120_000);

  it('a server session: agents, login with the file fallback, remote commands, raw API calls', async () => {
    server = await startServe(env);
    const admin = await createAgent(env, 'root', 'admin');
    const desk = await createAgent(env, 'desk', 'helpdesk');
    const app = await createAgent(env, 'app', 'app');
    clientSecrets.push(admin.clientSecret, desk.clientSecret, app.clientSecret);
    for (const c of [admin, desk, app]) expect(c.clientSecret.length).toBeGreaterThan(20);

    // tac login: the secret comes from stdin, is checked against the server and stored in the 0600 file.
    const login = await run(['login', '--server', server.url, '--client-id', desk.clientId, '--client-secret-stdin', '--json'], { stdin: `${desk.clientSecret}\n` });
    expect(JSON.parse(login.stdout)).toMatchObject({ secretStorage: expect.stringMatching(/^file:/) });
    loggedIn = desk;

    // Remote commands through the stored profile (help-desk scopes).
    expect(JSON.parse((await run(['whoami', '--json'])).stdout)).toMatchObject({ agent: 'desk', role: 'helpdesk' });
    await run(['users', 'search', '--json']);
    codes.push(JSON.parse((await issue(['generate', '--verified-by', 'callback', '--user', 'alice', '--json'])).stdout).code);
    codes.push((await issue(['generate', '--verified-by', 'callback', '--user', 'carol'])).stdout.trim());
    await run(['list', '--json']);
    await run(['users', 'show', 'alice', '--json']);

    // Through the environment instead (CI): nothing of it may be written anywhere.
    const viaEnv = { TAC_SERVER: server.url, TAC_CLIENT_ID: admin.clientId, TAC_CLIENT_SECRET: admin.clientSecret };
    await run(['audit', '--json', '--limit', '1000'], { env: viaEnv });
    await run(['policy', 'show'], { env: viaEnv });
    const remoteCsv = join(env.root, 'work-remote.csv');
    writeFileSync(remoteCsv, 'email\nr1@example.com\nr2@example.com\n');
    const [r1] = jsonLines<{ code: string }>((await issue(['guests', 'import', remoteCsv], { env: viaEnv })).stdout).map((t) => t.code);
    const r3 = JSON.parse((await issue(['guests', 'create', '--email', 'r3@example.com', '--json'], { env: viaEnv })).stdout).code as string;
    codes.push(...jsonLines<{ code: string }>(issuing[issuing.length - 2]!.stdout).map((t) => t.code), r3);
    await run(['verify', '--user', 'r1@example.com', '--json'], { env: viaEnv, stdin: `${r1}\n` });
    await run(['verify', '--user', 'r2@example.com', '--json'], { env: viaEnv, stdin: `${r1}\n`, expect: [6] });

    // Raw API calls: an app verifies; a token request with a wrong secret fails (and is not logged).
    const appToken = await getToken(server.url, app);
    const adminToken = await getToken(server.url, admin);
    tokens.push(appToken, adminToken);
    const v1 = await api(server.url, appToken, 'POST', '/v1/tacs/verify', { user: 'r3@example.com', code: r3 });
    expect(v1.json).toMatchObject({ valid: true });
    const v2 = await api(server.url, appToken, 'POST', '/v1/tacs/verify', { user: 'alice', code: codes[0] });
    expect(v2.json).toMatchObject({ valid: false });
    const issued = await api(server.url, adminToken, 'POST', '/v1/tacs', { user: 'bob', verifiedBy: 'callback' });
    expect(issued.status, issued.text).toBe(201);
    codes.push(issued.json.code);
    const bad = await fetch(`${server.url}/oauth/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: `${admin.clientSecret}` }).toString(),
    });
    expect(bad.status).toBe(400);
    const badBody = await bad.text();
    for (const s of [...clientSecrets, ...codes]) expect(badBody).not.toContain(s);
    // Responses other than the issuing ones never carry a code either.
    for (const r of [v1, v2]) for (const c of codes) expect(r.text).not.toContain(c);
    expect(new Set(codes).size).toBe(codes.length);
  }, 120_000);

  it('the server log holds no code, secret or token', async () => {
    await server!.stop();
    const log = server!.log();
    expect(log).toContain('"route":"/v1/tacs/verify"');
    expect(findSecrets([...codes, ...clientSecrets, ...tokens], [{ name: 'server log', bytes: Buffer.from(log) }])).toEqual([]);
    server = undefined;
  });

  it('no output of any command but the issuing ones holds a code, a client secret or a token; issuing commands print them on stdout only', () => {
    const all = [...codes, ...clientSecrets, ...tokens];
    // The scanner finds what it looks for, in any of the forms a code is typed or shown in.
    const c = codes[0]!;
    for (const form of [c, c.toLowerCase(), `${c.slice(0, 4)} ${c.slice(4)}`, `${c.slice(0, 4)}-${c.slice(4)}`]) {
      expect(findSecrets(all, [{ name: 'probe', bytes: Buffer.from(`..${form}..`) }])).toHaveLength(1);
    }
    expect(findSecrets(all, [{ name: 'probe', bytes: Buffer.from(`..${c}..`, 'utf16le') }])).toHaveLength(1);
    const hits = findSecrets(all, [
      ...scanned.flatMap((r, i) => [
        { name: `stdout of #${i} tac ${r.args.join(' ')}`, bytes: Buffer.from(r.stdout) },
        { name: `stderr of #${i} tac ${r.args.join(' ')}`, bytes: Buffer.from(r.stderr) },
      ]),
      ...issuing.map((r, i) => ({ name: `stderr of issuing #${i} tac ${r.args.join(' ')}`, bytes: Buffer.from(r.stderr) })),
    ]);
    expect(hits).toEqual([]);
    // The agents' own `agents create` runs print their secret once, and are the only ones that do.
    expect(env.runs.filter((r) => clientSecrets.some((s) => r.stdout.includes(s))).every((r) => r.args[0] === 'agents' && r.args[1] === 'create')).toBe(true);
  });

  it('no file of the data, config and home dirs (database, WAL, key, config) holds one; credentials.json only the logged-in secret and its token', async () => {
    const files = filesUnder(env.dirs.home, env.dirs.data, env.dirs.config);
    const names = files.map((f) => basename(f));
    expect(names).toEqual(expect.arrayContaining(['tac.db', 'tac.db-wal', 'hmac.key', 'config.json', 'credentials.json']));
    const credentials = files.find((f) => basename(f) === 'credentials.json')!;
    const others = files.filter((f) => f !== credentials);
    expect(findSecrets([...codes, ...clientSecrets, ...tokens], fileSources(others))).toEqual([]);

    // The file fallback: exactly the logged-in agent's secret (and a cached token), no code, no other secret.
    const stored = readFileSync(credentials, 'utf8');
    expect(stored).toContain(loggedIn!.clientSecret);
    expect(findSecrets([...codes, ...clientSecrets.filter((s) => s !== loggedIn!.clientSecret), ...tokens], [{ name: 'credentials.json', bytes: Buffer.from(stored) }])).toEqual([]);

    // After logout not even that remains.
    const out = await run(['logout']);
    expect(existsSync(credentials) ? readFileSync(credentials, 'utf8') : '', describeRun(out)).not.toContain(loggedIn!.clientSecret);
  });
});
