// Preloaded with `node -r` by a test: on exit, prints to stderr which packages the process loaded
// (`modules:[...]`), so a test can check that a local command never loads undici, pg, jose or
// fastify. require() is seen through Module._load; import() (ES modules, and CommonJS packages
// such as pg that tac loads with import()) through a resolve hook, which runs on the loader's own
// thread and so appends what it sees to a file this thread reads at exit.
const Module = require('node:module');
const { appendFileSync, readFileSync, rmSync } = require('node:fs');
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

const file = join(tmpdir(), `tac-imports-${process.pid}-${Date.now()}.txt`);
const hooks = `
import { appendFileSync } from 'node:fs';
let file;
export function initialize(data) { file = data.file; }
export function resolve(specifier, context, next) {
  appendFileSync(file, specifier + '\\n');
  return next(specifier, context);
}`;
appendFileSync(file, '');
Module.register(`data:text/javascript,${encodeURIComponent(hooks)}`, pathToFileURL(__filename), { data: { file } });

process.on('exit', () => {
  for (const m of readFileSync(file, 'utf8').split('\n')) if (m) seen.add(m);
  rmSync(file, { force: true });
  process.stderr.write(`modules:${JSON.stringify([...seen].filter(bare))}\n`);
});
