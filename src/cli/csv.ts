import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { Parser, type Options } from 'csv-parse';
import { invalid, TacError } from '../core/errors.js';

export interface CsvRecord {
  line: number;
  record: Record<string, string>;
}

const MAX_RECORD_BYTES = 64 * 1024;

/**
 * A CSV source that can be read more than once (validate everything, then write): a file is
 * re-opened; standard input is read into memory once.
 */
export async function csvSource(file: string, stdin: NodeJS.ReadableStream): Promise<() => Readable> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
    const data = Buffer.concat(chunks);
    return () => Readable.from([data]);
  }
  if (!existsSync(file)) throw invalid('file', `${file} does not exist`);
  const st = statSync(file);
  if (st.isDirectory()) throw invalid('file', `${file} is a directory, not a CSV file`);
  if (!st.isFile()) {
    // A pipe (`<(cmd)`) or device can be read only once: keep it in memory, like standard input.
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch (e) {
      throw invalid('file', `cannot read ${file}: ${(e as Error).message}`);
    }
    return () => Readable.from([data]);
  }
  return () => createReadStream(file);
}

/** Records are handed to the import a batch at a time (one await per batch, not per record). */
const BATCH = 500;

/**
 * csv-parse's stream, pushing batches of records, each with its line number. The line is read off
 * `parser.info` as each record is pushed (the moment csv-parse's `info: true` snapshots it), so no
 * per-record info object is built and the async iteration steps once per batch, not per record.
 */
class BatchParser extends Parser {
  private batch: CsvRecord[] = [];

  constructor(options: Options) {
    // Two batches buffered at most (the stream counts objects, and each is now a batch).
    super({ ...options, readableHighWaterMark: 2 } as Options);
  }

  override push(record: unknown): boolean {
    if (record === null) {
      if (this.batch.length) super.push(this.batch);
      this.batch = [];
      return super.push(null);
    }
    this.batch.push({ line: this.info.lines, record: record as Record<string, string> });
    if (this.batch.length < BATCH) return true;
    const full = this.batch;
    this.batch = [];
    return super.push(full);
  }
}

/**
 * Streams records with their line numbers, in batches. Handles a UTF-8 BOM, quoted fields with
 * commas and newlines, empty lines, and refuses oversized records; the header row is checked by
 * `checkHeader`.
 */
export async function* readCsv(open: () => Readable, checkHeader: (columns: string[]) => void): AsyncGenerator<CsvRecord[]> {
  const source = open();
  const parser = source.pipe(
    new BatchParser({
      bom: true,
      columns: (header: string[]) => {
        const cols = header.map((h) => String(h).trim().toLowerCase());
        checkHeader(cols);
        return cols;
      },
      skip_empty_lines: true,
      trim: true,
      max_record_size: MAX_RECORD_BYTES,
    }),
  );
  // pipe() does not forward a read error (a directory, no permission): end the parse with it.
  source.on('error', (e) => parser.destroy(invalid('file', `cannot read it: ${e.message}`)));
  try {
    for await (const batch of parser as AsyncIterable<CsvRecord[]>) yield batch;
  } catch (e) {
    if (e instanceof TacError) throw e;
    const err = e as { code?: string; lines?: number; message: string };
    const where = err.lines ? `line ${err.lines}` : 'file';
    throw invalid(where, csvMessage(err));
  }
}

function csvMessage(err: { code?: string; message: string }): string {
  switch (err.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
    case 'CSV_RECORD_INCONSISTENT_COLUMNS':
      return 'has a different number of fields than the header';
    case 'CSV_MAX_RECORD_SIZE':
      return `a record is larger than ${MAX_RECORD_BYTES / 1024} KiB`;
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed';
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'INVALID_OPENING_QUOTE':
      return 'a field has a stray quote';
    default:
      return `is not valid CSV (${err.message.split('\n')[0]})`;
  }
}
