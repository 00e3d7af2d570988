#!/usr/bin/env node
// Summarizes a V8 .cpuprofile (from `node --cpu-prof` or `run.mjs --cpu-prof DIR`): the functions
// with the most self time and the most inclusive time.
//   node test/bench/profile-top.mjs FILE.cpuprofile|DIR [N=25]
// Given a directory, it reads the largest profile in it (the longest-running process).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const [target, n = '25'] = process.argv.slice(2);
if (!target) {
  process.stderr.write('usage: profile-top.mjs FILE.cpuprofile|DIR [N]\n');
  process.exit(2);
}
let file = target;
if (statSync(target).isDirectory()) {
  const files = readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(target, f));
  file = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
}
const p = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(p.nodes.map((x) => [x.id, x]));
const parent = new Map();
for (const x of p.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
const label = (x) => `${x.callFrame.functionName || '(anonymous)'} ${x.callFrame.url.split('/').slice(-2).join('/')}:${x.callFrame.lineNumber + 1}`;

const sampleTime = new Map();
p.samples.forEach((id, i) => sampleTime.set(id, (sampleTime.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
const self = new Map();
const incl = new Map();
let total = 0;
for (const [id, us] of sampleTime) {
  total += us;
  self.set(label(nodes.get(id)), (self.get(label(nodes.get(id))) ?? 0) + us);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(nodes.get(cur));
    if (!seen.has(l)) incl.set(l, (incl.get(l) ?? 0) + us);
    seen.add(l);
  }
}
const show = (title, m) => {
  console.log(`\n${title}`);
  for (const [l, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) {
    console.log(`${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${l}`);
  }
};
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
show('self time', self);
show('inclusive time', incl);
