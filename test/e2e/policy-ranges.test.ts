/**
 * One range per numeric policy field (POLICY_RANGES), written one way (rangeText): in the help of
 * its `policy set` flag, when a flag value is refused, and when the field is refused (--from-file,
 * the API). And a hint's examples are values the flag accepts.
 */
import { expect, it } from 'vitest';
import { POLICY_RANGES, rangeText } from '../../src/core/policy.js';
import { describeBackends, describeRun } from './helpers/tac.js';

const FLAGS: Record<keyof typeof POLICY_RANGES, string> = {
  minTtl: '--min-ttl',
  maxTtl: '--max-ttl',
  defaultTtl: '--default-ttl',
  lockoutDuration: '--lockout-duration',
  length: '--length',
  maxFailedAttempts: '--max-failed-attempts',
  maxConsecutiveFailures: '--max-consecutive-failures',
  purgeAfterDays: '--purge-after',
};

/** `policy set --help`'s entries, one string per flag (commander wraps descriptions). */
const helpEntries = (help: string): string[] =>
  help.split(/\n(?=\s{2}-)/).map((e) => e.replace(/\s+/g, ' ').trim());

describeBackends('policy ranges', (env) => {
  it('every numeric field names the same range in its help, a refused flag value and a refused field', async () => {
    const s = await env.isolated('ranges');
    const help = helpEntries((await s.tac(['policy', 'set', '--help'])).stdout);
    for (const [field, range] of Object.entries(POLICY_RANGES)) {
      const flag = FLAGS[field as keyof typeof POLICY_RANGES];
      const text = rangeText(range);
      const entry = help.find((e) => e.startsWith(`${flag} `));
      expect(entry, flag).toContain(text);
      // Plain numbers are in the field's unit (minutes, days, or none).
      for (const value of [range.min - 1, range.max + 1].filter((v) => v >= 0)) {
        const r = await s.tac(['policy', 'set', flag, String(value)]);
        expect(r.code, describeRun(r)).toBe(2);
        expect(r.stderr).toBe(`error: ${flag}: "${value}" is out of range; allowed: ${text}\n`);
      }
      const file = s.file(`${field}.json`, JSON.stringify({ [field]: range.max + 1 }));
      const f = await s.tac(['policy', 'set', '--from-file', file]);
      expect(f.code, describeRun(f)).toBe(2);
      expect(f.stderr).toBe(`error: ${field}: must be a whole number from ${text}\n`);
    }
  });

  it("a refused value's hint suggests only values the flag accepts (--purge-after 1.5)", async () => {
    const s = await env.isolated('hints');
    for (const [flag, bad] of [['--purge-after', '1.5'], ['--purge-after', '90m'], ['--lockout-duration', '1.5']] as const) {
      const r = await s.tac(['policy', 'set', flag, bad]);
      expect(r.code, describeRun(r)).toBe(2);
      const examples = /e\.g\. (.*)$/m.exec(r.stderr)?.[1]?.split(/, | or /).filter((e) => /^\d/.test(e));
      expect(examples?.length, r.stderr).toBeGreaterThan(0);
      for (const example of examples!) {
        const ok = await s.tac(['policy', 'set', flag, example]);
        expect(ok.code, `${flag} ${example}, suggested by: ${r.stderr}${describeRun(ok)}`).toBe(0);
      }
    }
  });
});
