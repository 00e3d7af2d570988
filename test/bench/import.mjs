// `tac guests import` of generated CSV files: rows per second (whole process, start to exit) and
// peak RSS, each run on a fresh database.
import { createWriteStream, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { hermeticEnv, median, round, runMeasured } from './lib.mjs';

async function writeCsv(path, rows) {
  const out = createWriteStream(path);
  out.write('email,name,phone\n');
  for (let i = 0; i < rows; i++) {
    // A realistic mix: every row a name, every third row a phone number.
    if (!out.write(`guest${i}@example.com,Guest Number ${i},${i % 3 === 0 ? `+1555${String(i).padStart(7, '0')}` : ''}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export async function importBench({ tacBin, sizes, repeats, log = () => {} }) {
  const results = {};
  const data = hermeticEnv('import-data');
  try {
    for (const rows of sizes) {
      const csv = join(data.home, `guests-${rows}.csv`);
      await writeCsv(csv, rows);
      const runs = [];
      for (let r = 0; r < repeats; r++) {
        const h = hermeticEnv('import');
        try {
          const out = join(h.home, 'codes.jsonl');
          const m = await runMeasured(tacBin, ['guests', 'import', csv, '--out', out], h.env);
          const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean).length;
          if (lines !== rows) throw new Error(`guests import of ${rows} rows wrote ${lines} codes`);
          const run = { ms: round(m.ms, 0), cpuMs: round(m.cpuMs, 0), rowsPerSec: round(rows / (m.ms / 1000), 0), peakRssMb: round(m.maxRssKb / 1024, 1), dbMb: round(statSync(h.db).size / 2 ** 20, 1) };
          log(`  ${rows} rows, run ${r + 1}: ${run.ms} ms (CPU ${run.cpuMs} ms), ${run.rowsPerSec} rows/s, peak RSS ${run.peakRssMb} MiB`);
          runs.push(run);
        } finally {
          h.cleanup();
        }
      }
      results[rows] = {
        rows,
        csvMb: round(statSync(csv).size / 2 ** 20, 1),
        medianMs: median(runs.map((x) => x.ms)),
        medianCpuMs: median(runs.map((x) => x.cpuMs)),
        rowsPerSec: round(rows / (median(runs.map((x) => x.ms)) / 1000), 0),
        peakRssMb: Math.max(...runs.map((x) => x.peakRssMb)),
        runs,
      };
    }
  } finally {
    data.cleanup();
  }
  return results;
}
