// A worker process for the concurrency suite: opens the database with the built engine (dist/),
// prints "ready", waits for "go" on stdin (a start barrier shared by every process of a test), runs
// its operations one after another and prints one JSON line with a result per operation.
//
// argv[2]: {dbPath, keyPath, actor?, clockOffsetMs?, ops: [{op, ..., times?}]}
import { LocalBackend } from '../../../dist/backends/local.js';

const cfg = JSON.parse(process.argv[2]);
const offset = cfg.clockOffsetMs ?? 0;
const backend = new LocalBackend({
  dbPath: cfg.dbPath,
  keyPath: cfg.keyPath,
  actor: cfg.actor ?? `worker-${process.pid}`,
  clock: { now: () => new Date(Date.now() + offset) },
});

const ops = cfg.ops.flatMap((o) => Array.from({ length: o.times ?? 1 }, (_, i) => ({ ...o, i })));

process.stdout.write('ready\n');
await new Promise((resolve) => {
  let buf = '';
  process.stdin.on('data', (c) => {
    buf += c;
    if (buf.includes('go')) resolve();
  });
  process.stdin.on('end', resolve);
});

async function run(o) {
  switch (o.op) {
    case 'verify': {
      const v = await backend.verify(o.user, o.code);
      return v.valid ? { valid: true, tacId: v.tac.id, useCount: v.tac.useCount } : { valid: false, reason: v.reason };
    }
    case 'issue': {
      const t = await backend.issueTac({ user: o.user, verifiedBy: 'callback', ...(o.oneTime === false ? { oneTime: false } : {}) });
      return { id: t.id, code: t.code };
    }
    case 'addUser': {
      const u = await backend.addUser({ username: `${o.prefix}-${process.pid}-${o.i}`, email: `${o.prefix}-${process.pid}-${o.i}@example.com` });
      return { id: u.id };
    }
    default:
      throw new Error(`unknown op ${o.op}`);
  }
}

const results = [];
for (const o of ops) {
  try {
    results.push(await run(o));
  } catch (e) {
    results.push({ error: e?.code ?? 'exception', name: e?.name, message: String(e?.message) });
  }
}
await backend.close();
process.stdout.write(`${JSON.stringify(results)}\n`);
