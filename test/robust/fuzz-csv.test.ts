import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { describeRun, INPUT_EXIT_CODES, parseJsonLines, RobustEnv, seedFor, size, snapshot, spawnTac, STACK_RE, withDb, type RunResult } from './helpers.js';

/**
 * Property-based tests of CSV imports (fast-check, fixed seed). Clean files — any column order, a
 * BOM, CRLF, blank lines, quoting, names with commas, quotes, newlines-free unicode — import every
 * row exactly as written. Dirty files — duplicates (also by case), bad emails and phones, huge
 * fields, stray and unclosed quotes, missing or extra fields, unknown or repeated columns, other
 * encodings (Latin-1, UTF-16), NUL bytes, rows clashing with existing users — are refused with
 * exit 2 or 5, naming the problem, and write nothing (no row, no --out file); or, when the mutation
 * happens to be harmless, import cleanly. Never exit 1, never a stack.
 *
 * Most runs call the CLI's `main()` in-process (fast); a share spawns the real `bin/tac`.
 * Sizes: 120 + 120 in-process and 12 spawned runs by default; 1500 + 1500 and 150 with TAC_STRESS=1.
 */
const SEED = seedFor('fuzz-csv', 9_2026_05);
const IN_PROCESS_RUNS = size(120, 1500);
const SPAWNED_RUNS = size(12, 150);

type Kind = 'guests' | 'users';

interface Row {
  email: string;
  name: string;
  username: string;
  phone: string;
  guest: string;
}

interface CsvCase {
  kind: Kind;
  columns: (keyof Row)[];
  rows: Row[];
  bom: boolean;
  eol: '\n' | '\r\n';
  quoteAll: boolean;
  blankLines: number[];
  trailingEol: boolean;
  padding: boolean;
  mutations: Mutation[];
  onExisting: 'fail' | 'skip' | 'reissue' | undefined;
}

type Mutation =
  | { m: 'dupRow'; i: number; upper: boolean }
  | { m: 'badEmail'; i: number; v: string }
  | { m: 'badPhone'; i: number; v: string }
  | { m: 'hugeField'; i: number; n: number }
  | { m: 'longName'; i: number }
  | { m: 'strayQuote'; i: number }
  | { m: 'unclosedQuote'; i: number }
  | { m: 'extraField'; i: number }
  | { m: 'missingField'; i: number }
  | { m: 'unknownColumn' }
  | { m: 'repeatColumn' }
  | { m: 'emptyHeader' }
  | { m: 'latin1' }
  | { m: 'utf16' }
  | { m: 'nul'; i: number }
  | { m: 'spacesLine'; i: number }
  | { m: 'existingEmail'; i: number }
  | { m: 'controlChar'; i: number }
  | { m: 'noRows' }
  | { m: 'garbage'; text: string };

/** The template's existing users: a guest and a regular user. */
const EXISTING = { guest: 'guest1@example.com', user: 'alice@example.com' };

describe('fuzz: CSV imports', () => {
  const template = new RobustEnv('fuzz-csv-template');

  beforeAll(async () => {
    await template.ok(['users', 'add', '--username', 'alice', '--email', EXISTING.user, '--phone', '+15550101010']);
    await template.ok(['guests', 'create', '--email', EXISTING.guest]);
  }, 60_000);

  afterAll(() => template.cleanup());

  // ---- generators ---------------------------------------------------------------------------------

  /** Display names: anything printable up to 200 characters (commas, quotes, emoji, RTL, CSV-injection lookalikes). */
  const name = fc.oneof(
    fc.constantFrom('', 'Vera', 'Pond, Amy', 'Rory "the Roman" Williams', '=HYPERLINK("x")', '+SUM(1)', '# not a comment', 'Zoë Ångström', 'שלום', '😀 emoji', "O'Brien", 'a'.repeat(200)),
    fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replace(/[\u0000-\u001f\u007f]/g, '').trim()),
  );
  const local = fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,15}$/);

  const row = (i: number) => fc.record({
    local, name, upper: fc.boolean(), withUsername: fc.boolean(), withPhone: fc.boolean(), guest: fc.constantFrom('', 'true', 'false', 'yes', 'no', '1', '0', 'Y', 'N'),
  }).map((r): Row => {
    const email = `${r.local}.${i}@example.com`;
    return {
      email: r.upper ? email.toUpperCase() : email,
      name: r.name,
      username: r.withUsername ? `u${i}-${r.local}`.slice(0, 64) : '',
      phone: r.withPhone ? `+1555${String(10_000_000 + i).slice(1)}` : '',
      guest: r.guest,
    };
  });

  const rows = fc.integer({ min: 1, max: 12 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => row(i))));

  const mutation = (n: number): fc.Arbitrary<Mutation> => {
    const i = fc.nat({ max: n - 1 });
    return fc.oneof(
      fc.record({ m: fc.constant('dupRow' as const), i, upper: fc.boolean() }),
      fc.record({ m: fc.constant('badEmail' as const), i, v: fc.constantFrom('not-an-email', 'a@b', '@example.com', 'a b@example.com', 'a@@example.com', '<a>@example.com', 'a@example.com,', `${'x'.repeat(250)}@example.com`) }),
      fc.record({ m: fc.constant('badPhone' as const), i, v: fc.constantFrom('12', 'phone', '+1-555-CALL-NOW', '1'.repeat(20), '++15551234567') }),
      fc.record({ m: fc.constant('hugeField' as const), i, n: fc.integer({ min: 70_000, max: 200_000 }) }),
      fc.record({ m: fc.constant('longName' as const), i }),
      fc.record({ m: fc.constant('strayQuote' as const), i }),
      fc.record({ m: fc.constant('unclosedQuote' as const), i }),
      fc.record({ m: fc.constant('extraField' as const), i }),
      fc.record({ m: fc.constant('missingField' as const), i }),
      fc.constant<Mutation>({ m: 'unknownColumn' }),
      fc.constant<Mutation>({ m: 'repeatColumn' }),
      fc.constant<Mutation>({ m: 'emptyHeader' }),
      fc.constant<Mutation>({ m: 'latin1' }),
      fc.constant<Mutation>({ m: 'utf16' }),
      fc.record({ m: fc.constant('nul' as const), i }),
      fc.record({ m: fc.constant('spacesLine' as const), i }),
      fc.record({ m: fc.constant('existingEmail' as const), i }),
      fc.record({ m: fc.constant('controlChar' as const), i }),
      fc.constant<Mutation>({ m: 'noRows' }),
      fc.record({ m: fc.constant('garbage' as const), text: fc.string({ unit: 'binary', maxLength: 200 }) }),
    );
  };

  const csvCase = (dirty: boolean): fc.Arbitrary<CsvCase> =>
    fc.tuple(fc.constantFrom<Kind>('guests', 'users'), rows).chain(([kind, rs]) => {
      const optional = kind === 'guests' ? (['name', 'username', 'phone'] as const) : (['phone', 'name', 'guest'] as const);
      const required = kind === 'guests' ? (['email'] as const) : (['username', 'email'] as const);
      return fc.record({
        kind: fc.constant(kind),
        columns: fc.subarray([...optional]).chain((opt) => fc.shuffledSubarray([...required, ...opt], { minLength: required.length + opt.length })),
        rows: fc.constant(kind === 'users' ? rs.map((r, i) => ({ ...r, username: r.username || `user${i}` })) : rs),
        bom: fc.boolean(),
        eol: fc.constantFrom('\n' as const, '\r\n' as const),
        quoteAll: fc.boolean(),
        blankLines: fc.array(fc.nat({ max: rs.length }), { maxLength: 3 }),
        trailingEol: fc.boolean(),
        padding: fc.boolean(),
        mutations: dirty ? fc.array(mutation(rs.length), { minLength: 1, maxLength: 3 }) : fc.constant([]),
        onExisting: kind === 'guests' ? fc.constantFrom(undefined, 'fail' as const, 'skip' as const, 'reissue' as const) : fc.constantFrom(undefined, 'fail' as const, 'skip' as const),
      });
    });

  // ---- rendering ----------------------------------------------------------------------------------

  const quote = (v: string, all: boolean) => (all || /[",\r\n]|^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

  /** Renders a case to bytes; `rows` is what a correct import must create (meaningful when clean). */
  function render(c: CsvCase): Buffer {
    let columns: string[] = [...c.columns];
    let rs = c.rows.map((r) => ({ ...r }) as Record<string, string>);
    const lineExtras = new Map<number, (line: string) => string>();
    // Several mutations may change one line: they compose.
    const extra = (at: number, f: (line: string) => string) => {
      const before = lineExtras.get(at);
      lineExtras.set(at, before ? (l) => f(before(l)) : f);
    };
    let header = (cols: string[]) => cols.join(',');
    let encode = (s: string) => Buffer.from(s, 'utf8');
    // An existing email replaces a row's email: first, so it never undoes another mutation.
    const ordered = [...c.mutations].sort((a, b) => Number(b.m === 'existingEmail') - Number(a.m === 'existingEmail'));
    for (const mu of ordered) {
      if ('i' in mu && !rs.length) continue;
      const at = 'i' in mu ? Math.min(mu.i, rs.length - 1) : 0;
      switch (mu.m) {
        case 'dupRow': rs.push({ ...rs[at]!, email: mu.upper ? rs[at]!.email!.toUpperCase() : rs[at]!.email! }); break;
        case 'badEmail': rs[at]!.email = mu.v; break;
        case 'badPhone': if (columns.includes('phone')) rs[at]!.phone = mu.v; else rs[at]!.email = mu.v; break;
        case 'hugeField': rs[at]!.email = `${'x'.repeat(mu.n)}@example.com`; break;
        case 'longName': if (columns.includes('name')) rs[at]!.name = 'n'.repeat(201); else rs[at]!.email = `${'e'.repeat(300)}@example.com`; break;
        case 'strayQuote': extra(at, (l) => `x"${l}`); break;
        case 'unclosedQuote': extra(at, (l) => `"${l}`); break;
        case 'extraField': extra(at, (l) => `${l},extra`); break;
        // Drop the last field (a line left empty would just be skipped: keep one field then).
        case 'missingField': extra(at, (l) => (columns.length > 1 ? l.slice(0, l.lastIndexOf(',')) || 'x' : `${l},`)); break;
        case 'unknownColumn': header = (cols) => `${cols.join(',')},colour`; extra(-1, (l) => `${l},blue`); break;
        case 'repeatColumn': header = (cols) => `${cols.join(',')},${cols[0]}`; extra(-1, (l) => `${l},x`); break;
        case 'emptyHeader': header = () => ''; break;
        case 'latin1': encode = (s) => Buffer.from(s, 'latin1'); break;
        case 'utf16': encode = (s) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]); break;
        case 'nul': rs[at]!.email = `${rs[at]!.email}\u0000`; break;
        case 'spacesLine': extra(at, (l) => `${l}${c.eol}   `); break;
        case 'existingEmail': rs[at]!.email = at % 2 ? EXISTING.guest.toUpperCase() : EXISTING.user; break;
        case 'controlChar': if (columns.includes('name')) rs[at]!.name = 'bell\u0007'; else rs[at]!.email = `a\u0007@example.com`; break;
        case 'noRows': rs = []; break;
        case 'garbage': return Buffer.from(mu.text, 'latin1');
      }
    }
    if (c.mutations.some((mu) => mu.m === 'emptyHeader')) columns = [];
    // Spaces around fields (quoted or not) are trimmed by the reader.
    const lines = rs.map((r, i) => {
      let l = columns.map((k) => quote(r[k] ?? '', c.quoteAll)).map((v) => (c.padding ? ` ${v} ` : v)).join(',');
      const extraAll = lineExtras.get(-1);
      if (extraAll) l = extraAll(l);
      const own = lineExtras.get(i);
      return own ? own(l) : l;
    });
    for (const b of [...c.blankLines].sort((a, b) => b - a)) lines.splice(Math.min(b, lines.length), 0, '');
    const text = `${c.bom ? '\uFEFF' : ''}${header(columns)}${c.eol}${lines.join(c.eol)}${c.trailingEol ? c.eol : ''}`;
    return encode(text);
  }

  // ---- running ------------------------------------------------------------------------------------

  interface Outcome {
    r: RunResult;
    before: string;
    after: string;
    outExists: boolean;
    out: string;
    dbPath: string;
    env: RobustEnv;
  }

  async function runImport(c: CsvCase, spawned: boolean): Promise<Outcome> {
    const env = new RobustEnv('fuzz-csv-run');
    cpSync(template.root, env.root, { recursive: true });
    const csv = join(env.root, 'in.csv');
    writeFileSync(csv, render(c));
    const outPath = join(env.root, 'codes.jsonl');
    const args = [c.kind, 'import', csv, ...(c.kind === 'guests' ? ['--out', outPath] : ['--json']), ...(c.onExisting ? ['--on-existing', c.onExisting] : [])];
    const before = snapshot(env.dbPath);
    let r: RunResult;
    if (spawned) {
      r = await spawnTac(args, env.env, { timeoutMs: 60_000 }).done;
    } else {
      let stdout = '';
      let stderr = '';
      const code = await main(args, {
        io: { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, stdin: Readable.from([]) },
        env: env.env,
      });
      r = { stdout, stderr, code, signal: null, args };
    }
    const outExists = existsSync(outPath);
    return { r, before, after: snapshot(env.dbPath), outExists, out: outExists ? readFileSync(outPath, 'utf8') : '', dbPath: env.dbPath, env };
  }

  function checkCommon(o: Outcome, c: CsvCase) {
    const what = `${describeRun(o.r)}\n--- csv ---\n${render(c).toString('utf8').slice(0, 2000)}`;
    expect(INPUT_EXIT_CODES, what).toContain(o.r.code);
    expect([0, 2, 5], what).toContain(o.r.code);
    expect(o.r.stderr, what).not.toMatch(STACK_RE);
    expect(o.r.stderr, what).not.toMatch(/unexpected/);
    if (o.r.code !== 0) {
      expect(o.r.stderr, what).toMatch(/^error: /m);
      expect(o.after, `rejected, yet the database changed\n${what}`).toBe(o.before);
      expect(o.outExists, `rejected, yet --out was left behind\n${what}`).toBe(false);
    }
    return what;
  }

  /** A clean file imports every row exactly as written. */
  function checkClean(o: Outcome, c: CsvCase) {
    const what = checkCommon(o, c);
    expect(o.r.code, what).toBe(0);
    const users = withDb(o.dbPath, (db) => db.prepare('SELECT * FROM users').all()) as Record<string, unknown>[];
    const byEmail = new Map(users.map((u) => [String(u.email), u]));
    for (const r of c.rows) {
      const u = byEmail.get(r.email.toLowerCase());
      expect(u, `${r.email} missing\n${what}`).toBeDefined();
      if (c.columns.includes('name')) expect(u!.name, what).toBe(r.name.trim() || null);
      if (c.columns.includes('phone')) expect(u!.phone, what).toBe(r.phone || null);
      if (c.columns.includes('username') && r.username) expect(u!.username, what).toBe(r.username);
      if (c.kind === 'guests') expect(u!.guest, what).toBe(1);
    }
    expect(users.length, what).toBe(2 + c.rows.length);
    if (c.kind === 'guests') {
      const issued = parseJsonLines<{ code: string; user: { email: string } }>(o.out);
      expect(issued.map((t) => t.user.email).sort(), what).toEqual(c.rows.map((r) => r.email.toLowerCase()).sort());
      for (const t of issued) expect(t.code, what).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/);
    } else {
      expect(JSON.parse(o.r.stdout), what).toEqual({ created: c.rows.length, skipped: 0 });
    }
  }

  /** Mutations that always make a file invalid, whatever else happens to it. */
  const ALWAYS_INVALID = new Set<Mutation['m']>([
    'dupRow', 'badEmail', 'badPhone', 'hugeField', 'longName', 'extraField', 'missingField', 'unknownColumn', 'repeatColumn', 'emptyHeader',
    'nul', 'controlChar', 'noRows', 'garbage',
  ]);

  /** A dirty file is refused without writing, or (when the mutation turned out harmless) imported consistently. */
  function checkDirty(o: Outcome, c: CsvCase) {
    const what = checkCommon(o, c);
    // (Two mutations may cancel out, e.g. a field removed and one added: only a single one is sure.)
    if (c.mutations.length === 1 && ALWAYS_INVALID.has(c.mutations[0]!.m)) expect(o.r.code, `this file must be refused\n${what}`).not.toBe(0);
    if (o.r.code !== 0) return;
    const created = withDb(o.dbPath, (db) => (db.prepare('SELECT count(*) n FROM users').get() as { n: number }).n) - 2;
    if (c.kind === 'guests') {
      const issued = parseJsonLines<{ id: string }>(o.out);
      const reissued = issued.length - created;
      expect(reissued, what).toBeGreaterThanOrEqual(0);
      if (c.onExisting !== 'reissue') expect(reissued, what).toBe(0);
    } else {
      expect(JSON.parse(o.r.stdout).created, what).toBe(created);
    }
  }

  const exits: Record<string, number> = {};
  afterAll(() => console.log(`[fuzz-csv] exit codes (clean/dirty, in-process/spawned): ${JSON.stringify(exits)}`));

  const run = (spawned: boolean, dirty: boolean) => async (c: CsvCase) => {
    const o = await runImport(c, spawned);
    const key = `${dirty ? 'dirty' : 'clean'}/${spawned ? 'spawned' : 'in-process'}:${o.r.code}`;
    exits[key] = (exits[key] ?? 0) + 1;
    try {
      (dirty ? checkDirty : checkClean)(o, c);
    } finally {
      rmSync(o.env.root, { recursive: true, force: true });
    }
  };

  it(`${IN_PROCESS_RUNS} clean files (in-process): every row imported exactly as written`, async () => {
    await fc.assert(fc.asyncProperty(csvCase(false), run(false, false)), { seed: SEED, numRuns: IN_PROCESS_RUNS });
  }, 300_000);

  it(`${IN_PROCESS_RUNS} dirty files (in-process): refused with 2 or 5 and nothing written, or imported consistently`, async () => {
    await fc.assert(fc.asyncProperty(csvCase(true), run(false, true)), { seed: SEED + 1, numRuns: IN_PROCESS_RUNS });
  }, 300_000);

  it(`${SPAWNED_RUNS} clean and dirty files through the real bin/tac`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean().chain((dirty) => csvCase(dirty).map((c) => ({ c, dirty }))), async ({ c, dirty }) => run(true, dirty)(c)),
      { seed: SEED + 2, numRuns: SPAWNED_RUNS },
    );
  }, 300_000);
});
