import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { GLOBAL_OPTIONS, type ArgSpec, type CommandSpec, type OptionSpec } from '../../src/cli/spec.js';
import {
  createAgent, describeRun, filesUnder, INPUT_EXIT_CODES, RobustEnv, seedFor, size, snapshot, spawnTac, STACK_RE, startServe, type RunningServer, type RunResult,
} from './helpers.js';

/**
 * Property-based tests of the CLI's arguments (fast-check, fixed seed): every command of the
 * command tree with any subset of its flags, values of every kind (valid, out of range, malformed,
 * unicode, huge, looking like flags), missing and extra arguments, unknown flags and global flags,
 * run as a real `bin/tac` process on a fresh copy of a populated database. It must exit with a
 * documented code other than 1 (1 means a bug), never print a stack, and write nothing (database,
 * config) when it rejects its input.
 *
 * The same invocations also run against a `tac serve` (TAC_SERVER + an admin agent's
 * TAC_CLIENT_ID/SECRET), where the server's errors must map to the same table.
 *
 * Sizes: 40 local + 15 remote runs by default, 400 + 200 with TAC_STRESS=1.
 */
const SEED = seedFor('fuzz-cli', 5_2026_05);
const RUNS = size(40, 400);
const REMOTE_RUNS = size(15, 200);

/** Commands that never end (serve) are not fuzzed. */
const SKIP = new Set(['serve']);

interface Leaf {
  path: string[];
  options: OptionSpec[];
  args: ArgSpec[];
}

function leaves(specs: CommandSpec[], prefix: string[] = []): Leaf[] {
  return specs.flatMap((s) => {
    if (SKIP.has(s.name)) return [];
    const path = [...prefix, s.name];
    return s.subcommands ? [{ path, options: [], args: [] }, ...leaves(s.subcommands, path)] : [{ path, options: s.options ?? [], args: s.args ?? [] }];
  });
}

const LEAVES = leaves(COMMANDS);

/** Strings no argv can carry (NUL) are left out; everything else goes. */
const argText = (max = 30) => fc.string({ unit: 'grapheme', maxLength: max }).map((s) => s.replace(/\u0000/g, ''));

const VALUES: Record<string, fc.Arbitrary<string>> = {
  duration: fc.oneof(
    { arbitrary: fc.constantFrom('90m', '8h', '2h', '30m', '1h30m', '15'), weight: 3 },
    fc.constantFrom('90m', '8h', '2d', '1h30m', '15', '10m', '30d', '31d', '0', '-5', '1e9', '99999999999999999999', 'abc', '', ' ', '1.5h', '1h 30m', '٣h', 'Infinity', 'NaN', '0x10'),
    argText(),
  ),
  time: fc.oneof(
    fc.constantFrom('+2h', '+1d', '+31d', '-1h', '24h', '7d', '2026-05-01T09:00:00Z', '2099-01-01T00:00:00Z', '1970-01-01', 'yesterday', 'now', '', '+', '+99999999d', '2026-13-45T99:99:99Z'),
    argText(),
  ),
  number: fc.oneof(fc.constantFrom('1', '0', '-1', '1.5', '1e3', 'NaN', '9007199254740993', '64', '65', '5', '100', '101', ' 3 ', '0x1f', ''), argText(6), fc.integer().map(String)),
  user: fc.oneof({ arbitrary: fc.constantFrom('alice', 'bob', 'guest1@example.com'), weight: 3 }, fc.constantFrom('alice', 'bob', 'alice@example.com', 'ALICE@EXAMPLE.COM', '+15550101010', '15550101010', 'guest1@example.com', 'usr_aaaaaaaaaaaaaaaa', 'nobody', '', ' ', '-alice'), argText()),
  text: fc.oneof({ arbitrary: fc.constantFrom('x@example.com', 'new-user', 'A Name', 'lost phone', 'callback'), weight: 2 }, fc.constantFrom('', ' ', '-', '--', '--json', 'a'.repeat(10_000), 'x\ny', '\t', '\u001b[31mred', 'ñandú 😀', 'alice'), argText(60)),
};

interface Invocation {
  argv: string[];
  stdin: string;
}

describe('fuzz: CLI arguments and flag values (real processes)', () => {
  const template = new RobustEnv('fuzz-cli-template');
  /** The remote variant: one server on its own copy of the template, shared by its runs. */
  const remote = new RobustEnv('fuzz-cli-remote');
  let server: RunningServer | undefined;
  let remoteEnv: Record<string, string> = {};
  let aliceCode = '';
  const files: Record<string, string> = {};

  beforeAll(async () => {
    await template.ok(['users', 'add', '--username', 'alice', '--email', 'alice@example.com', '--phone', '+15550101010', '--name', 'Alice']);
    await template.ok(['users', 'add', '--username', 'bob', '--email', 'bob@example.com']);
    aliceCode = (await template.issue('alice')).code;
    await template.ok(['guests', 'create', '--email', 'guest1@example.com']);
    // Input files the file-valued flags and arguments may point at (inside every copy, same paths).
    const work = join(template.root, 'work');
    mkdirSync(work, { recursive: true });
    const put = (name: string, content: string) => {
      writeFileSync(join(work, name), content);
      files[name] = join(work, name);
    };
    put('users.csv', 'username,email\ncarol,carol@example.com\n');
    put('users-bad.csv', 'username,email\ncarol,not-an-email\n');
    put('guests.csv', 'email,name\nvisitor@example.com,Vera\n');
    put('guests-dup.csv', 'email\nguest1@example.com\n');
    put('policy.json', '{"defaultTtl": 120}');
    put('policy-bad.json', '{"length": 3, "extra": true}');
    put('not-json.json', '{nope');
    put('empty.csv', '');

    cpSync(template.root, remote.root, { recursive: true });
    // Every run asks for a token: lift the per-address token rate limit.
    server = await startServe(remote, ['--token-rate-limit', '1000000']);
    const admin = await createAgent(remote, 'fuzz-admin', 'admin');
    remoteEnv = { ...remote.env, TAC_KEYCHAIN: 'off', TAC_SERVER: server.url, TAC_CLIENT_ID: admin.clientId, TAC_CLIENT_SECRET: admin.clientSecret };
  }, 60_000);

  afterAll(async () => {
    const stopped = await server?.stop();
    const log = server?.log() ?? '';
    template.cleanup();
    remote.cleanup();
    expect(log).not.toMatch(/"status":5\d\d|unhandled error/);
    expect(stopped?.code).toBe(0);
  });

  const fileValue = () =>
    fc.oneof(
      fc.constantFrom(...Object.keys(files)).map((k) => `work/${k}`),
      fc.constantFrom('-', 'work/missing.csv', 'work/users.csv/below', '/', '/dev/null', 'work', 'work/new-out.jsonl', 'xdg-data/tac/tac.db', ''),
      argText(20),
    );

  function valueFor(kind: string | undefined, choices?: readonly string[]): fc.Arbitrary<string> {
    if (choices) return fc.oneof({ arbitrary: fc.constantFrom(...choices), weight: 3 }, argText(12));
    if (kind === 'file') return fileValue();
    return VALUES[kind ?? 'text'] ?? VALUES.text!;
  }

  const optionTokens = (o: OptionSpec): fc.Arbitrary<string[]> => {
    const flag = o.flags.split(/[ ,]/)[0]!;
    if (!/[<[]/.test(o.flags)) return fc.constant<string[]>([flag]);
    // --flag value, --flag=value, or the flag with its value missing.
    const withValue: fc.Arbitrary<string[]> = valueFor(o.kind, o.choices).map((v) => [flag, v]);
    const joined: fc.Arbitrary<string[]> = valueFor(o.kind, o.choices).map((v) => [`${flag}=${v}`]);
    const bare: fc.Arbitrary<string[]> = fc.constant([flag]);
    return fc.oneof({ arbitrary: withValue, weight: 6 }, { arbitrary: joined, weight: 1 }, { arbitrary: bare, weight: 1 });
  };

  // Global flags, with --server only pointing at this machine (no lookups or traffic elsewhere).
  const globalTokens = fc.subarray(GLOBAL_OPTIONS.filter((o) => !['--server', '--db'].includes(o.flags.split(' ')[0]!)), { maxLength: 3 })
    .chain((os) => (os.length ? fc.tuple(...os.map(optionTokens)) : fc.constant([] as string[][])))
    .chain((toks) => fc.oneof(
      { arbitrary: fc.constant(toks.flat()), weight: 8 },
      { arbitrary: fc.constantFrom(['--server', 'http://127.0.0.1:9'], ['--server', 'ftp://x'], ['--server', ''], ['--server', 'http://[::1]:1/'], ['--db', 'work/other.db'], ['--db', 'work/users.csv/x.db'], ['--db', '']).map((t) => [...toks.flat(), ...t]), weight: 1 },
    ));

  const invocation: fc.Arbitrary<Invocation> = fc.constantFrom(...LEAVES).chain((leaf) => {
    const opts = leaf.options.length ? fc.subarray(leaf.options, { maxLength: Math.min(5, leaf.options.length) }).chain((os) => (os.length ? fc.tuple(...os.map(optionTokens)) : fc.constant([] as string[][]))) : fc.constant([] as string[][]);
    const args = fc.tuple(...leaf.args.map((a) => fc.oneof({ arbitrary: valueFor(a.kind), weight: 8 }, { arbitrary: fc.constant(undefined), weight: 1 })), fc.constant(undefined));
    // Mostly well-formed invocations, so most runs reach the command's own validation.
    const noise = fc.oneof(
      { arbitrary: fc.constant([] as string[]), weight: 5 },
      { arbitrary: fc.array(fc.oneof(fc.constantFrom('--bogus', '-x', '--', '--json=1', '--yes', '--help', '-h', 'extra', '--ttl', '--no-such-flag=1'), argText(10)), { minLength: 1, maxLength: 2 }), weight: 1 },
    );
    return fc.record({
      opts, args, noise, globals: globalTokens,
      noiseFirst: fc.boolean(),
      stdin: fc.oneof(fc.constant(''), fc.constant(`${'X'.repeat(8)}\n`), argText(40).map((s) => `${s}\n`), fc.constant('username,email\ndan,dan@example.com\n')),
    }).map((r) => {
      const positional = r.args.filter((a): a is string => a !== undefined);
      const rest = [...r.opts.flat(), ...positional];
      return { argv: [...r.globals, ...leaf.path, ...(r.noiseFirst ? [...r.noise, ...rest] : [...rest, ...r.noise])], stdin: r.stdin };
    });
  });

  /** A fresh copy of the template (HOME, XDG dirs, database, key, input files) per run. */
  async function runIsolated(inv: Invocation): Promise<{ r: RunResult; before: string; after: string; configBefore: string; configAfter: string }> {
    const env = new RobustEnv('fuzz-cli-run');
    cpSync(template.root, env.root, { recursive: true });
    const configState = () => filesUnder(env.dirs.config).sort().map((f) => `${f}:${readFileSync(f).toString('base64')}`).join('\n');
    const before = snapshot(env.dbPath);
    const configBefore = configState();
    try {
      const r = await spawnTac(inv.argv, { ...env.env, TAC_KEYCHAIN: 'off' }, { stdin: inv.stdin, cwd: env.root, timeoutMs: 30_000 }).done;
      return { r, before, after: snapshot(env.dbPath), configBefore, configAfter: configState() };
    } finally {
      rmSync(env.root, { recursive: true, force: true });
    }
  }

  /** Against the server: the same invocations, through TAC_SERVER (global --db/--server flags may still redirect them). */
  async function runRemote(inv: Invocation): Promise<{ r: RunResult; before: string; after: string; configBefore: string; configAfter: string }> {
    const configState = () => filesUnder(remote.dirs.config).sort().map((f) => `${f}:${readFileSync(f).toString('base64')}`).join('\n');
    const before = snapshot(remote.dbPath);
    const configBefore = configState();
    const r = await spawnTac(inv.argv, remoteEnv, { stdin: inv.stdin, cwd: remote.root, timeoutMs: 30_000 }).done;
    return { r, before, after: snapshot(remote.dbPath), configBefore, configAfter: configState() };
  }

  const property = (runner: typeof runIsolated, exits: Record<string, number>) => async (inv: Invocation) => {
    const { r, before, after, configBefore, configAfter } = await runner(inv);
    const what = describeRun(r);
    exits[String(r.code)] = (exits[String(r.code)] ?? 0) + 1;
    expect(r.signal, what).toBeNull();
    // Exit 1 is for bugs, and for the two documented cases a --db value can cause.
    if (r.code === 1) expect(r.stderr, what).toMatch(/^error: (cannot open database|this database was created with a different hashing key)/);
    else expect(INPUT_EXIT_CODES, what).toContain(r.code);
    // --debug asks for the stack of unexpected errors (exit 1); nothing else ever shows one.
    if (!(inv.argv.includes('--debug') && r.code === 1)) expect(r.stderr, what).not.toMatch(STACK_RE);
    expect(r.stderr, what).not.toMatch(/error: unexpected/);
    // Only the issuing commands may print a code, and only their own new one.
    expect(`${r.stdout}${r.stderr}`, what).not.toContain(aliceCode);
    if (r.code !== 0 && r.code !== 6) {
      // An error line; or, for a command group called without a subcommand, its help (exit 2).
      expect(r.stderr, what).toMatch(r.code === 2 ? /^error: |^Usage: tac /m : /^error: /m);
      expect(after, `rejected, yet the database changed\n${what}`).toBe(before);
      expect(configAfter, `rejected, yet the config changed\n${what}`).toBe(configBefore);
    }
  };

  it(`${RUNS} random invocations: documented exit codes (never 1), no stack, nothing written when rejected`, async () => {
    const exits: Record<string, number> = {};
    await fc.assert(fc.asyncProperty(invocation, property(runIsolated, exits)), { seed: SEED, numRuns: RUNS });
    console.log(`[fuzz-cli] exit codes: ${JSON.stringify(exits)}`);
  }, 600_000);

  it(`${REMOTE_RUNS} random invocations against a server: the same, with the server's errors`, async () => {
    const exits: Record<string, number> = {};
    await fc.assert(fc.asyncProperty(invocation, property(runRemote, exits)), { seed: SEED + 1, numRuns: REMOTE_RUNS });
    console.log(`[fuzz-cli] exit codes (remote): ${JSON.stringify(exits)}`);
  }, 600_000);
});
