// The floor for `tac generate --json`: the least a node process can do for the same job (load
// better-sqlite3 and crypto, open a WAL database, one IMMEDIATE transaction that revokes the
// user's previous code and inserts a code hash and an audit row, print JSON). No CLI, no checks.
// The bench runs it beside `tac generate` so the 1.6x target can be read against what is possible.
'use strict';
const crypto = require('node:crypto');
const path = require('node:path');
const Database = require('better-sqlite3');

const db = new Database(path.join(process.argv[2], 'floor.db'), {
  nativeBinding: require.resolve('better-sqlite3/build/Release/better_sqlite3.node'),
});
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`CREATE TABLE IF NOT EXISTS tacs (id TEXT PRIMARY KEY, user_id TEXT, hash TEXT, status TEXT, created_at TEXT);
  CREATE INDEX IF NOT EXISTS tacs_user ON tacs (user_id, status);
  CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, at TEXT, action TEXT, user_id TEXT, tac_id TEXT)`);
const code = crypto.randomBytes(5).toString('hex').toUpperCase();
const hash = crypto.createHmac('sha256', 'bench-key').update(code).digest('hex');
const id = `tac_${crypto.randomBytes(8).toString('hex')}`;
const now = new Date().toISOString();
db.transaction(() => {
  db.prepare("UPDATE tacs SET status = 'revoked' WHERE user_id = ? AND status = 'active'").run('alice');
  db.prepare("INSERT INTO tacs VALUES (?, ?, ?, 'active', ?)").run(id, 'alice', hash, now);
  db.prepare("INSERT INTO audit (at, action, user_id, tac_id) VALUES (?, 'tac.issued', ?, ?)").run(now, 'alice', id);
}).immediate();
db.close();
process.stdout.write(`${JSON.stringify({ id, code, createdAt: now }, null, 2)}\n`);
