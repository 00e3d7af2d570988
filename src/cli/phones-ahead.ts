import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { rememberCanonical } from '../core/phone.js';
import type { CsvRecord } from './csv.js';

/**
 * The worker: which of the numbers it is sent are already canonical, i.e. libphonenumber reads
 * them as a possible number whose E.164 form is the text itself (as canonicalPhone in
 * src/core/phone.ts does for a number with +). Plain CommonJS in a string, so it runs the same from
 * the bundle, from dist/ and under the tests.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const lib = require(workerData.lib);
parentPort.on('message', (texts) => {
  const canonical = [];
  for (const t of texts) {
    const p = lib.parsePhoneNumberFromString(t);
    if (p && p.isPossible() && p.number === t) canonical.push(t);
  }
  parentPort.postMessage(canonical);
});
`;

/** Batches (of csv.ts's 500 records) held back at most, waiting for the worker. */
const AHEAD = 2;

/** A number in the form canonicalPhone returns: +, then digits, nothing else. */
const E164_SHAPE = /^\+[0-9]{4,16}$/;

/**
 * Passes the batches of an import's CSV through unchanged, a batch or two behind, while a worker
 * thread checks the batches' phone numbers: numbers found canonical are remembered
 * (rememberCanonical), so the row checks on this thread skip libphonenumber, ~20-60 µs a number,
 * and every number is still checked by the same library on one thread or the other. Numbers in
 * any other form, and all of them if the worker fails, are parsed here as before. The first batch
 * is handed on at once (a small file never waits for the worker to start).
 */
export async function* phonesAhead(batches: AsyncIterable<CsvRecord[]>, field = 'phone'): AsyncGenerator<CsvRecord[]> {
  let worker: Worker | undefined;
  let failed = false;
  const waiting: ((canonical: string[]) => void)[] = [];
  const check = (records: CsvRecord[]): Promise<void> => {
    const texts: string[] = [];
    for (const { record } of records) if (E164_SHAPE.test(record[field] ?? '')) texts.push(record[field]!);
    if (!texts.length || failed) return Promise.resolve();
    if (!worker) {
      worker = new Worker(WORKER, { eval: true, workerData: { lib: createRequire(import.meta.url).resolve('libphonenumber-js/min') } });
      worker.on('message', (canonical: string[]) => waiting.shift()?.(canonical));
      worker.on('error', () => {
        failed = true;
        for (const w of waiting.splice(0)) w([]);
      });
    }
    const w = worker;
    return new Promise((resolve) => {
      waiting.push((canonical) => {
        for (const t of canonical) rememberCanonical(t);
        resolve();
      });
      w.postMessage(texts);
    });
  };
  try {
    // Up to AHEAD batches are held back while the worker checks them: it falls behind by moments.
    const held: { records: CsvRecord[]; checked: Promise<void> }[] = [];
    let first = true;
    for await (const records of batches) {
      if (first) {
        first = false;
        yield records;
        continue;
      }
      held.push({ records, checked: check(records) });
      if (held.length > AHEAD) {
        const next = held.shift()!;
        await next.checked;
        yield next.records;
      }
    }
    for (const next of held) {
      await next.checked;
      yield next.records;
    }
  } finally {
    await worker?.terminate();
  }
}
