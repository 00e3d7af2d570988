// Fallback peak-RSS probe when /usr/bin/time is missing: `node --import ./maxrss-preload.mjs bin/tac ...`
// prints the process's own peak resident set size (KiB) on stderr as it exits.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  try {
    writeSync(2, `\nTAC_BENCH_MAXRSS_KB=${process.resourceUsage().maxRSS}\n`);
  } catch {
    // stderr closed: the run reports NaN
  }
});
