// A worker process for the crash suite: writes to the database in a tight loop with the built
// engine (dist/) until it is killed, so a SIGKILL almost always lands inside a transaction.
// Expected refusals (a disabled or locked user, ...) are ignored; anything else is printed on stderr
// as one line starting with "unexpected:" so the test can fail on it.
//
// argv[2]: {dbPath, keyPath, seed, users: [ref...]}
import { LocalBackend } from '../../../dist/backends/local.js';

const cfg = JSON.parse(process.argv[2]);
let a = cfg.seed >>> 0;
const rnd = () => {
  a = (a + 0x6d2b79f5) >>> 0;
  let t = a;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
const tag = `${cfg.seed}-${process.pid}`;

const backend = new LocalBackend({ dbPath: cfg.dbPath, keyPath: cfg.keyPath, actor: `churn-${process.pid}` });
process.stdout.write('ready\n');

for (let i = 0; ; i++) {
  const r = rnd();
  try {
    if (r < 0.4) {
      await backend.issueTac({ user: pick(cfg.users), verifiedBy: 'callback' });
    } else if (r < 0.55) {
      await backend.createGuest({ email: `churn-${tag}-${i}@example.com`, name: `Churn ${i}` });
    } else if (r < 0.65) {
      await backend.addUser({ username: `churn-${tag}-${i}`, email: `churn-user-${tag}-${i}@example.com` });
    } else if (r < 0.8) {
      await backend.verify(pick(cfg.users), 'ZZZZ2222');
    } else if (r < 0.85) {
      await backend.unlockUser(pick(cfg.users));
    } else {
      const rows = Array.from({ length: 20 }, (_, k) => ({ line: k + 2, input: { email: `batch-${tag}-${i}-${k}@example.com` } }));
      await backend.importGuests(rows, 'skip');
    }
  } catch (e) {
    if (e?.name !== 'TacError' || e.code === 'internal') {
      process.stderr.write(`unexpected: ${e?.code ?? ''} ${String(e?.message).replace(/\n/g, ' ')}\n`);
    }
  }
}
