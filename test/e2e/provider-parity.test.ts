import { describe, expect, it } from 'vitest';
import { useEntraFake } from './helpers/entra.js';
import { useMosaicFake } from './helpers/mosaic.js';
import { useOktaFake } from './helpers/okta.js';
import { describeRun, localDirs, runTac, type RunResult } from './helpers/tac.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * One set of commands, one set of shapes: the same `--json` keys (README, "JSON shapes") from tac's
 * own engine and from every provider's contract fake, the same exit code and one-line error for an
 * unknown user, and for a command a provider does not offer. A provider that drifted (a missing
 * key, an extra one, a field renamed) fails here even if its own suite still passes.
 */

type Tac = (args: string[], stdin?: string) => Promise<RunResult>;
interface Subject { name: string; user: string; setup(): Promise<Tac>; lists: boolean; policy: boolean }

const ISSUED = ['id', 'code', 'status', 'startsAt', 'expiresAt', 'oneTime', 'user'];
const SUMMARY = ['id', 'username', 'email', 'name', 'guest'];
const USER = ['id', 'username', 'email', 'phone', 'name', 'guest', 'disabled', 'failedAttempts', 'consecutiveFailures', 'lockedUntil', 'createdAt', 'updatedAt'];
const LISTED = ['id', 'userId', 'status', 'createdAt', 'startsAt', 'expiresAt', 'oneTime', 'useCount', 'lastUsedAt', 'revokedAt', 'revokedReason', 'reason', 'createdBy', 'user'];

const mosaic = useMosaicFake();
const entra = useEntraFake();
const okta = useOktaFake();
const ok = (r: RunResult) => expect(r.code, describeRun(r)).toBe(0);

const SUBJECTS: Subject[] = [
  {
    name: 'local', user: 'alice@example.com', lists: true, policy: true,
    async setup() {
      const d = localDirs(mkdtempSync(join(tmpdir(), 'tac-parity-')));
      const tac: Tac = (args, stdin) => runTac(args, d.env, { stdin });
      ok(await tac(['users', 'add', '--username', 'alice', '--email', 'alice@example.com', '--name', 'Alice Smith']));
      return tac;
    },
  },
  {
    name: 'mosaic', user: 'alice@example.com', lists: false, policy: false,
    async setup() {
      const c = mosaic.client('parity');
      ok(await c.login());
      return (args, stdin) => c.tac(args, { stdin });
    },
  },
  {
    name: 'entra', user: 'alice@contoso.com', lists: true, policy: true,
    async setup() {
      const c = entra.client('parity');
      ok(await c.login());
      return (args, stdin) => c.tac(args, { stdin });
    },
  },
  {
    name: 'okta', user: 'alice@example.com', lists: true, policy: true,
    async setup() {
      const c = okta.client('parity');
      ok(await c.loginToken());
      return (args, stdin) => c.tac(args, { stdin });
    },
  },
];

const json = (r: RunResult) => {
  ok(r);
  return JSON.parse(r.stdout);
};

describe('the same commands and shapes on every backend', () => {
  for (const s of SUBJECTS) {
    it(`${s.name}: generate, users show, list, policy show keep the documented --json keys; unknown user exit 3; what is not offered exit 5`, async () => {
      const tac = await s.setup();
      const issued = json(await tac(['generate', '--user', s.user, '--verified-by', 'callback', '--ttl', '1h', '--json']));
      expect(Object.keys(issued)).toEqual(ISSUED);
      expect(Object.keys(issued.user)).toEqual(SUMMARY);
      expect(issued.code).toMatch(/^\S{6,}$/);
      expect(['active', 'pending']).toContain(issued.status);
      // Okta gives its expiry to the second, from its own clock: within a second of the hour asked for.
      expect(Math.abs(Date.parse(issued.expiresAt) - Date.parse(issued.startsAt) - 3_600_000)).toBeLessThan(1000);

      const shown = json(await tac(['users', 'show', s.user, '--json']));
      expect(Object.keys(shown)).toEqual([...USER, 'locked', 'currentTac']);
      expect(JSON.stringify(shown)).not.toContain(issued.code);

      const list = await tac(['list', '--user', s.user, '--json']);
      if (s.lists) {
        const tacs = json(list);
        expect(tacs.length, s.name).toBeGreaterThan(0);
        for (const t of tacs) expect(Object.keys(t)).toEqual(LISTED);
        expect(list.stdout).not.toContain(issued.code);
      } else {
        expect(list.code).toBe(5);
        expect(list.stderr).toMatch(new RegExp(`^error: ${s.name} does not offer listing TACs \\(tac list\\); .+\\n$`));
      }

      const policy = await tac(['policy', 'show', '--json']);
      if (s.policy) {
        const p = json(policy);
        // A provider leaves out what it lacks, never adds a key of its own.
        const local = ['enabled', 'minTtl', 'maxTtl', 'defaultTtl', 'length', 'complexity', 'mixedCase', 'excludeAmbiguous', 'multiUseAllowed', 'oneTimeDefault',
          'maxFailedAttempts', 'lockoutDuration', 'maxConsecutiveFailures', 'purgeAfterDays', 'phoneRegion', 'requireAttestation'];
        expect(Object.keys(p).filter((k) => !local.includes(k)), s.name).toEqual([]);
        expect(p).toHaveProperty('maxTtl');
      } else {
        expect(policy.code).toBe(5);
        expect(policy.stderr.trimEnd().split('\n')).toHaveLength(1);
      }

      const unknown = await tac(['users', 'show', 'nobody-here@example.org']);
      expect(unknown.code, describeRun(unknown)).toBe(3);
      expect(unknown.stderr).toMatch(/^error: .*nobody-here@example\.org.*\n$/);
      const guests = await tac(['guests', 'create', '--email', 'g@example.org']);
      if (s.name === 'local') ok(guests);
      else {
        expect(guests.code, describeRun(guests)).toBe(5);
        expect(guests.stderr).toMatch(new RegExp(`^error: ${s.name} does not offer guest accounts \\(tac guests create\\); .+\\n$`));
      }
    });
  }
});
