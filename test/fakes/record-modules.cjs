// Preloaded with `node -r` by a test: on exit, prints to stderr which packages the process loaded,
// so a test can check that a local command never loads undici (the providers' transport).
const Module = require('node:module');
const load = Module._load;
const seen = new Set();
Module._load = function (request, ...rest) {
  seen.add(request);
  return load.call(this, request, ...rest);
};
process.on('exit', () => process.stderr.write(`modules:${JSON.stringify([...seen].filter((m) => !m.startsWith('.') && !m.startsWith('/')))}\n`));
