// A worker that holds the write lock for a while: after "go" it imports `rows` guests in ONE
// transaction (one import batch), so every other writer meanwhile has to wait on the busy timeout.
//
// argv[2]: {dbPath, keyPath, rows}
import { LocalBackend } from '../../../dist/backends/local.js';

const cfg = JSON.parse(process.argv[2]);
const backend = new LocalBackend({ dbPath: cfg.dbPath, keyPath: cfg.keyPath, actor: `bulk-${process.pid}` });
process.stdout.write('ready\n');
await new Promise((resolve) => {
  process.stdin.on('data', (c) => String(c).includes('go') && resolve());
  process.stdin.on('end', resolve);
});
const rows = Array.from({ length: cfg.rows }, (_, i) => ({ line: i + 2, input: { email: `bulk-${process.pid}-${i}@example.com`, name: `Bulk ${i}` } }));
let result;
try {
  const out = await backend.importGuests(rows, 'fail');
  result = { created: out.filter((r) => r.status === 'created').length };
} catch (e) {
  result = { created: 0, error: e?.code ?? 'exception', message: String(e?.message) };
}
await backend.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
