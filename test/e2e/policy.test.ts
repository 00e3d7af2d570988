import { expect, it } from 'vitest';
import { describeBackends, describeRun, type TacEnv } from './helpers/tac.js';

const DEFAULT_POLICY = {
  enabled: true,
  minTtl: 10,
  maxTtl: 480,
  defaultTtl: 60,
  length: 8,
  complexity: { numbers: true, letters: true, specialCharacters: false },
  mixedCase: false,
  excludeAmbiguous: true,
  multiUseAllowed: false,
  oneTimeDefault: true,
  maxFailedAttempts: 3,
  lockoutDuration: 15,
  maxConsecutiveFailures: 100,
  purgeAfterDays: 30,
  phoneRegion: null,
  requireAttestation: true,
};
type PolicyJson = typeof DEFAULT_POLICY;

async function policy(env: TacEnv): Promise<PolicyJson> {
  const r = await env.tacJson<PolicyJson>(['policy', 'show']);
  expect(r.code, describeRun(r)).toBe(0);
  return r.json;
}

describeBackends('policy', (env) => {
  it('policy show --json: exactly the default shape and values, in order', async () => {
    const s = await env.isolated('defaults');
    const r = await s.tacJson<PolicyJson>(['policy', 'show']);
    expect(r.code).toBe(0);
    expect(r.json).toStrictEqual(DEFAULT_POLICY);
    expect(Object.keys(r.json)).toEqual(Object.keys(DEFAULT_POLICY));
    expect(Object.keys(r.json.complexity)).toEqual(['numbers', 'letters', 'specialCharacters']);
  });

  it('policy show piped: tab-separated key/value lines', async () => {
    const s = await env.isolated('show-plain');
    const r = await s.tac(['policy', 'show']);
    expect(r.code).toBe(0);
    const rec = Object.fromEntries(r.stdout.trimEnd().split('\n').map((l) => l.split('\t')));
    expect(rec).toMatchObject({ enabled: 'yes', length: '8', maxFailedAttempts: '3', purgeAfterDays: '30', multiUseAllowed: 'no' });
    expect(rec.defaultTtl).toContain('60 min');
    expect(r.stdout).not.toContain('\x1b');
  });

  it('policy set --default-ttl 2h → 120, and generate uses it', async () => {
    const s = await env.isolated('default-ttl');
    const r = await s.tacJson<PolicyJson>(['policy', 'set', '--default-ttl', '2h']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.json.defaultTtl).toBe(120);
    expect((await policy(s)).defaultTtl).toBe(120);
    await s.addUser('alice');
    const t = await s.issue('alice');
    expect((Date.parse(t.expiresAt) - Date.parse(t.startsAt)) / 60_000).toBe(120);
    // Audited with the change.
    const [ev] = await s.auditJson('--action', 'policy.updated', '--limit', '1');
    expect(ev!.details).toEqual({ changes: { defaultTtl: { from: 60, to: 120 } } });
  });

  it('TTL bounds follow the policy: --min-ttl/--max-ttl change what generate accepts', async () => {
    const s = await env.isolated('bounds');
    await s.addUser('bob');
    await s.setPolicy('--min-ttl', '30m', '--max-ttl', '2d');
    expect((await s.tac(['generate', '--verified-by', 'callback', '--user', 'bob', '--ttl', '20m'])).code).toBe(5);
    const r = await s.tac(['generate', '--verified-by', 'callback', '--user', 'bob', '--ttl', '3d']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/30.*2880/);
    await s.issue('bob', '--ttl', '2d');
  });

  it('invalid combinations exit 2 and leave the policy unchanged', async () => {
    const s = await env.isolated('invalid');
    await s.setPolicy('--length', '10');
    const before = await policy(s);
    const cases: [string[], RegExp][] = [
      [['--min-ttl', '2h'], /minTtl/], // min > default (60)
      [['--default-ttl', '9h'], /defaultTtl/], // default > max (480)
      [['--max-ttl', '30m'], /defaultTtl.*maxTtl|maxTtl/], // max < default
      [['--max-ttl', '31d'], /--max-ttl/],
      [['--length', '5'], /length/],
      [['--length', '65'], /length/],
      [['--no-letters', '--no-exclude-ambiguous', '--length', '6'], /entropy/],
      [['--no-letters', '--mixed-case'], /mixedCase/],
      [['--max-failed-attempts', '0'], /--max-failed-attempts/],
      // The issue's example: 7 digits, 100 attempts per 1-minute lockout give 100 guesses at 2^23.3 codes.
      [['--no-letters', '--no-exclude-ambiguous', '--length', '7', '--max-failed-attempts', '100', '--lockout-duration', '1m'], /^error: length: .* allows 100 guesses at one code/],
      [['--max-consecutive-failures', '101'], /^error: --max-consecutive-failures: .*1 to 100/m],
      [['--default-ttl', 'forever'], /--default-ttl/],
      [['--purge-after', '36h'], /--purge-after/],
      [['--enable', '--disable'], /--enable/],
      [[], /nothing to change/],
    ];
    for (const [flags, msg] of cases) {
      const r = await s.tac(['policy', 'set', ...flags]);
      expect(r.code, describeRun(r)).toBe(2);
      expect(r.stderr, flags.join(' ')).toMatch(/^error: /);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe('');
    }
    expect(await policy(s)).toStrictEqual(before);
    // Refused changes are not audited as changes.
    expect((await s.auditJson('--action', 'policy.updated')).length).toBe(1);
  });

  it('digits only is allowed when long enough, and codes follow it', async () => {
    const s = await env.isolated('digits');
    await s.setPolicy('--no-letters', '--no-exclude-ambiguous', '--length', '9');
    await s.addUser('carol');
    const t = await s.issue('carol');
    expect(t.code).toMatch(/^\d{9}$/);
  });

  it('--length and --special-characters shape the codes', async () => {
    const s = await env.isolated('length');
    await s.setPolicy('--length', '16', '--special-characters');
    await s.addUser('dave');
    for (let i = 0; i < 3; i++) {
      const { code } = await s.issue('dave');
      expect(code).toHaveLength(16);
      expect(code).toMatch(/[!@#$%&*+=?]/);
      expect(code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ!@#$%&*+=?]+$/);
    }
  });

  it('--mixed-case makes codes case-sensitive', async () => {
    const s = await env.isolated('mixed');
    await s.setPolicy('--mixed-case', '--length', '12');
    await s.addUser('erin');
    // Draw until the code has a letter whose case can be flipped.
    let code = '';
    for (let i = 0; i < 5 && !/[a-zA-Z]/.test(code); i++) code = (await s.issue('erin')).code;
    expect(code).toMatch(/[a-z]|[A-Z]/);
    const flipped = [...code].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('');
    expect((await s.verifyJson('erin', flipped)).json).toEqual({ valid: false, reason: 'invalid_code' });
    expect((await s.verify('erin', code)).code).toBe(0);
  });

  it('--no-one-time-default needs --multi-use-allowed; then codes are multi-use by default', async () => {
    const s = await env.isolated('multi');
    const r = await s.tac(['policy', 'set', '--no-one-time-default']);
    expect(r.code).toBe(2);
    await s.setPolicy('--multi-use-allowed', '--no-one-time-default');
    await s.addUser('frank');
    expect((await s.issue('frank')).oneTime).toBe(false);
    expect((await s.issue('frank', '--one-time')).oneTime).toBe(true);
  });

  it('--purge-after takes days (plain number) and durations in whole days', async () => {
    const s = await env.isolated('purge-after');
    expect((await s.tacJson<PolicyJson>(['policy', 'set', '--purge-after', '7'])).json.purgeAfterDays).toBe(7);
    expect((await s.tacJson<PolicyJson>(['policy', 'set', '--purge-after', '2d'])).json.purgeAfterDays).toBe(2);
    expect((await s.tacJson<PolicyJson>(['policy', 'set', '--purge-after', '0'])).json.purgeAfterDays).toBe(0);
  });

  it('--from-file applies a JSON file; unknown fields, bad types and bad JSON are refused', async () => {
    const s = await env.isolated('from-file');
    const ok = s.file('policy.json', JSON.stringify({ length: 12, complexity: { specialCharacters: true }, maxFailedAttempts: 5 }));
    const r = await s.tacJson<PolicyJson>(['policy', 'set', '--from-file', ok]);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.json).toStrictEqual({ ...DEFAULT_POLICY, length: 12, complexity: { ...DEFAULT_POLICY.complexity, specialCharacters: true }, maxFailedAttempts: 5 });

    // The output of policy show is accepted as input (round trip).
    const shown = await s.tac(['policy', 'show', '--json']);
    const round = await s.tac(['policy', 'set', '--from-file', s.file('shown.json', shown.stdout)]);
    expect(round.code, describeRun(round)).toBe(0);

    const before = await policy(s);
    const bad: [string, RegExp][] = [
      [JSON.stringify({ lenght: 10 }), /lenght/],
      [JSON.stringify({ length: '10' }), /length/],
      [JSON.stringify({ minTtl: 500 }), /minTtl/],
      ['{ not json', /not valid JSON/],
      ['[1,2]', /JSON object/],
    ];
    for (const [text, msg] of bad) {
      const b = await s.tac(['policy', 'set', '--from-file', s.file('bad.json', text)]);
      expect(b.code, describeRun(b)).toBe(2);
      expect(b.stderr).toMatch(msg);
    }
    const missing = await s.tac(['policy', 'set', '--from-file', s.newPath('missing.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: --from-file/);
    const mixed = await s.tac(['policy', 'set', '--from-file', ok, '--length', '10']);
    expect(mixed.code).toBe(2);
    expect(await policy(s)).toStrictEqual(before);
  });

  it('policy reset needs --yes and restores the defaults', async () => {
    const s = await env.isolated('reset');
    await s.setPolicy('--length', '20', '--default-ttl', '2h', '--disable');
    let r = await s.tac(['policy', 'reset']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*--yes/);
    expect((await policy(s)).length).toBe(20);
    r = await s.tac(['policy', 'reset', '--yes']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stderr).toContain('reset');
    expect(await policy(s)).toStrictEqual(DEFAULT_POLICY);
    expect((await s.tacJson<PolicyJson>(['policy', 'reset', '--yes'])).json).toStrictEqual(DEFAULT_POLICY);
  });
});
