import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { FakeClock } from '../../src/core/clock.js';
import { hmacHasher } from '../../src/core/codes.js';
import { TacCore } from '../../src/core/service.js';
import { openPostgres, type PgEngine } from '../../src/store/postgres/engine.js';
import { createTestDatabase } from './db.js';

/** A core on a new test database (multi-use codes allowed, 3 failures lock), and a plain client on it to look at its rows. */
export async function pgCore(prefix: string, clock = new FakeClock('2026-01-01T00:00:00.000Z')) {
  const url = await createTestDatabase(prefix);
  const engine: PgEngine = await openPostgres(url, { poolSize: 6 });
  const core = new TacCore({ store: engine.store, clock, hasher: hmacHasher(randomBytes(32)), actor: 'tester' });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await engine.run(core.updatePolicy({ multiUseAllowed: true, maxFailedAttempts: 3, maxConsecutiveFailures: 100 }));
  const close = async () => {
    await admin.end();
    await engine.close();
  };
  return { engine, core, admin, close };
}
