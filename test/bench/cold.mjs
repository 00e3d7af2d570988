// Process start-up: `tac --version`, `tac --help` and a local `tac generate --json`, each against
// bare `node -e 0`, interleaved in one loop so they share the machine's load.
import { join } from 'node:path';
import { HERE, hermeticEnv, interleaved, median, NODE, round, tac, tacCommand } from './lib.mjs';

const summarize = (times, baseline) => {
  const base = median(times[baseline]);
  return Object.fromEntries(Object.entries(times).map(([name, xs]) => [name, {
    runs: xs.length,
    medianMs: round(median(xs), 2),
    minMs: round(Math.min(...xs), 2),
    ratio: round(median(xs) / base, 3),
  }]));
};

export function coldStart({ tacBin, runs }) {
  const h = hermeticEnv('cold');
  try {
    const times = interleaved({
      node: [NODE, ['-e', '0']],
      version: tacCommand(tacBin, ['--version']),
      help: tacCommand(tacBin, ['--help']),
    }, runs, h.env);
    return summarize(times, 'node');
  } finally {
    h.cleanup();
  }
}

/**
 * `tac generate --json` on a local database that already exists (the first run creates it), and
 * floor-generate.cjs: the same database work with nothing else, the least such a process costs.
 */
export function generate({ tacBin, runs }) {
  const h = hermeticEnv('generate');
  try {
    tac(tacBin, h.env, ['users', 'add', '--username', 'alice', '--email', 'alice@example.com', '--name', 'Alice Liddell']);
    const times = interleaved({
      node: [NODE, ['-e', '0']],
      generate: tacCommand(tacBin, ['generate', '--user', 'alice', '--verified-by', 'callback', '--json']),
      floor: [NODE, [join(HERE, 'floor-generate.cjs'), h.home]],
    }, runs, h.env);
    // What tac adds above the least such a process costs: its own target (≤ 1.10×).
    return { ...summarize(times, 'node'), vsFloor: round(median(times.generate) / median(times.floor), 3) };
  } finally {
    h.cleanup();
  }
}
