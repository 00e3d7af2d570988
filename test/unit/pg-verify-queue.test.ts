import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { hmacHasher } from '../../src/core/codes.js';
import { TacCore } from '../../src/core/service.js';
import { openPostgres, type PgEngine } from '../../src/store/postgres/engine.js';
import { createTestDatabase, pgAdminUrl } from '../pg/db.js';

const QUEUED = 8;

/**
 * PgStore reads a user's TACs in the same round trip as it locks the user (see its class comment).
 * That read must come after the lock is granted: verifies queued behind another transaction
 * holding the user must each see what the one before them committed. Here every verify is made
 * to queue (an outside transaction holds the user's row until all of them wait for it).
 */
describe.skipIf(!pgAdminUrl())('PostgreSQL: verifies queued on a user see the previous one\'s commit', () => {
  let engine: PgEngine;
  let url: string;
  let core: TacCore;
  beforeAll(async () => {
    url = await createTestDatabase('queue');
    engine = await openPostgres(url, { poolSize: QUEUED + 2 });
    core = new TacCore({ store: engine.store, clock: new FakeClock('2026-01-01T00:00:00.000Z'), hasher: hmacHasher(randomBytes(32)), actor: 'tester' });
  });
  afterAll(async () => engine?.close());

  /** Runs QUEUED verifies of `username`'s code while its row is locked elsewhere; their verdicts once released. */
  async function queuedVerifies(username: string, code: string) {
    const userId = (await engine.run(core.showUser(username))).id;
    const [blocker, watcher] = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
    await blocker.connect();
    await watcher.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
      const verdicts = Promise.all(Array.from({ length: QUEUED }, () => engine.run(core.verify(username, code))));
      // Until every one of them waits for a lock (generous: the machine may be busy). Not from the
      // blocker: inside a transaction, pg_stat_activity stays as it first read it.
      for (let waited = 0; ; waited += 50) {
        const { rows } = await watcher.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
        if (rows[0].n >= QUEUED) break;
        if (waited > 60_000) throw new Error(`only ${rows[0].n} of ${QUEUED} verifies waited for the lock`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await blocker.query('COMMIT');
      return await verdicts;
    } finally {
      await blocker.end();
      await watcher.end();
    }
  }

  it('a one-time code is accepted once', async () => {
    await engine.run(core.addUser({ username: 'once', email: 'once@example.com' }));
    const issued = await engine.run(core.issueTac({ user: 'once', oneTime: true, verifiedBy: 'callback' }));
    const verdicts = await queuedVerifies('once', issued.code);
    expect(verdicts.filter((v) => v.valid)).toHaveLength(1);
    expect(verdicts.filter((v) => !v.valid).map((v) => (v as { reason: string }).reason)).toEqual(Array(QUEUED - 1).fill('already_used'));
  });

  it('a multi-use code counts every use', async () => {
    await engine.run(core.updatePolicy({ multiUseAllowed: true }));
    await engine.run(core.addUser({ username: 'many', email: 'many@example.com' }));
    const issued = await engine.run(core.issueTac({ user: 'many', oneTime: false, verifiedBy: 'callback' }));
    const verdicts = await queuedVerifies('many', issued.code);
    expect(verdicts.every((v) => v.valid)).toBe(true);
    expect((await engine.run(core.showUser('many'))).currentTac).toMatchObject({ id: issued.id, useCount: QUEUED });
  });
});
