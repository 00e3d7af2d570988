// Preloaded with `node -r` by a test: on exit, prints to stderr which packages the process loaded
// (`modules:[...]`), so a test can check that a local command never loads undici, pg, jose or
// fastify. require() is seen through Module._load; import() (ES modules, and CommonJS packages
// such as pg that tac loads with import()) through a resolve hook, which runs on the loader's own
// thread and so writes what it sees to a file this thread reads at exit. The file is unlinked as
// soon as it is open (both threads share the descriptor), so no run leaves one behind.
const Module = require('node:module');
const { closeSync, fstatSync, openSync, readSync, unlinkSync } = require('node:fs');
const { join } = require('node:path');
const { tmpdir } = require('node:os');
const { pathToFileURL } = require('node:url');

const bare = (m) => !m.startsWith('.') && !m.startsWith('/') && !/^[a-z]+:/.test(m);
const seen = new Set();
const load = Module._load;
Module._load = function (request, ...rest) {
  seen.add(request);
  return load.call(this, request, ...rest);
};

const path = join(tmpdir(), `tac-imports-${process.pid}-${Date.now()}.txt`);
const fd = openSync(path, 'wx+', 0o600);
unlinkSync(path);
const hooks = `
import { writeSync } from 'node:fs';
let fd;
export function initialize(data) { fd = data.fd; }
export function resolve(specifier, context, next) {
  try { writeSync(fd, specifier + '\\n'); } catch {}
  return next(specifier, context);
}`;
Module.register(`data:text/javascript,${encodeURIComponent(hooks)}`, pathToFileURL(__filename), { data: { fd } });

process.on('exit', () => {
  const buf = Buffer.alloc(fstatSync(fd).size);
  readSync(fd, buf, 0, buf.length, 0);
  for (const m of buf.toString('utf8').split('\n')) if (m) seen.add(m);
  closeSync(fd);
  process.stderr.write(`modules:${JSON.stringify([...seen].filter(bare))}\n`);
});
