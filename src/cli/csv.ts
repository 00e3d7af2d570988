import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { parse } from 'csv-parse';
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

/**
 * Streams records with their line numbers, a few hundred at a time. Handles a UTF-8 BOM, quoted fields with commas and
 * newlines, empty lines, and refuses oversized records; the header row is checked by `checkHeader`.
 *
 * Plain files are read by a small parser of the common form of CSV (`FastCsv`, about ten times
 * faster); at anything outside that form, including every error, it hands over to csv-parse, which
 * reads the file again from the start and takes over after the records already given. So results,
 * line numbers and error messages are csv-parse's in every case.
 */
export async function* readCsv(open: () => Readable, checkHeader: (columns: string[]) => void): AsyncGenerator<CsvRecord[]> {
  let given = 0;
  const source = open();
  try {
    for await (const records of fastCsv(source, checkHeader)) {
      given += records.length;
      yield records;
    }
    return;
  } catch (e) {
    if (!(e instanceof NotFast)) throw e;
  } finally {
    source.destroy();
  }
  for await (const r of parseCsv(open, checkHeader)) {
    if (given > 0) given--;
    else yield [r];
  }
}

/** csv-parse: the reference reader (exported for the tests that compare the fast reader with it). */
export async function* parseCsv(open: () => Readable, checkHeader: (columns: string[]) => void): AsyncGenerator<CsvRecord> {
  const source = open();
  const parser = source.pipe(
    parse({
      bom: true,
      columns: (header: string[]) => {
        const cols = header.map((h) => String(h).trim().toLowerCase());
        checkHeader(cols);
        return cols;
      },
      skip_empty_lines: true,
      trim: true,
      info: true,
      max_record_size: MAX_RECORD_BYTES,
    }),
  );
  // pipe() does not forward a read error (a directory, no permission): end the parse with it.
  source.on('error', (e) => parser.destroy(readError(e)));
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      yield { line: info.lines, record };
    }
  } catch (e) {
    if (e instanceof TacError) throw e;
    const err = e as { code?: string; lines?: number; message: string };
    const where = err.lines ? `line ${err.lines}` : 'file';
    throw invalid(where, csvMessage(err));
  }
}

const readError = (e: Error) => invalid('file', `cannot read it: ${e.message}`);

/** The fast reader met something it leaves to csv-parse. */
class NotFast extends Error {}

/** Characters per piece the fast reader parses before giving its records (a file stream's chunk size). */
const PIECE = 64 * 1024;
/** Longer records go to csv-parse, which measures them in bytes (a character is at most 3 bytes of UTF-8). */
const MAX_FAST_RECORD = Math.floor(MAX_RECORD_BYTES / 3) - 1;

const QUOTE = 34;
const COMMA = 44;
const CR = 13;
const LF = 10;
const SPACE = 32;
const TAB = 9;
const FF = 12;

/**
 * The fast reader, one piece at a time: yields a piece's records only when all of the piece parsed,
 * so at a hand-over csv-parse meets the same records before an error as it always did. Its form:
 * UTF-8 (BOM or not) with one kind of line end (LF or CRLF); fields separated by commas, trimmed of
 * spaces and tabs; a quoted field is `"…"` with `""` for a quote, may hold commas and line ends,
 * and may have spaces around it; blank lines are skipped; every record has the header's fields.
 * Anything else throws NotFast.
 */
async function* fastCsv(source: Readable, checkHeader: (columns: string[]) => void): AsyncGenerator<CsvRecord[]> {
  const decoder = new StringDecoder('utf8');
  const p = new FastCsv(checkHeader);
  let head: Buffer | undefined = Buffer.alloc(0);
  let text = '';
  const pieces = async function* () {
    try {
      for await (const chunk of source) yield chunk as Buffer;
    } catch (e) {
      throw readError(e as Error);
    }
  };
  for await (let chunk of pieces()) {
    if (head) {
      // A BOM: UTF-8 is skipped; UTF-16 (which csv-parse decodes) is left to it.
      chunk = Buffer.concat([head, chunk]);
      if (chunk.length < 3) {
        head = chunk;
        continue;
      }
      if (chunk[0] === 0xff && chunk[1] === 0xfe) throw new NotFast();
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
      head = undefined;
    }
    text += decoder.write(chunk);
    // Bytes that are not UTF-8 (U+FFFD): csv-parse decodes field by field; leave them to it.
    if (text.includes('\uFFFD')) throw new NotFast();
    while (text.length >= PIECE) {
      const end = p.parse(text, false, PIECE);
      if (p.records.length) yield p.take();
      text = text.slice(end);
      if (end === 0) break;
    }
  }
  if (head) {
    if (head[0] === 0xff && head[1] === 0xfe) throw new NotFast();
    text = decoder.write(head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? head.subarray(3) : head);
  }
  text += decoder.end();
  if (text.includes('\uFFFD')) throw new NotFast();
  p.parse(text, true, text.length);
  if (p.records.length) yield p.take();
}

export class FastCsv {
  records: CsvRecord[] = [];
  private columns: string[] | undefined;
  /** csv-parse's line count: 1 plus every CR and LF seen, except the LF of a CRLF record end. */
  private line = 1;
  /** The record delimiter, found at the first line end outside quotes: '\n' or '\r\n'. */
  private eol: string | undefined;

  constructor(private readonly checkHeader: (columns: string[]) => void) {}

  take(): CsvRecord[] {
    const r = this.records;
    this.records = [];
    return r;
  }

  /**
   * Parses the complete records that start before `limit` (all of `text` at the end of input);
   * returns where the first unparsed record starts.
   */
  parse(text: string, eof: boolean, limit: number): number {
    let i = 0;
    while (i < limit && i < text.length) {
      const next = this.record(text, i, eof);
      if (next < 0) {
        // Incomplete: more text is needed. A record longer than a piece is not fast.
        if (i === 0 && text.length >= PIECE) throw new NotFast();
        break;
      }
      i = next;
    }
    return i;
  }

  /** Parses one record (or blank line) at `start`; returns where the next starts, or -1 if incomplete. */
  private record(s: string, start: number, eof: boolean): number {
    const fields: string[] = [];
    let lines = 0;
    let i = start;
    for (;;) {
      while (i < s.length && (s.charCodeAt(i) === SPACE || s.charCodeAt(i) === TAB || s.charCodeAt(i) === FF)) i++;
      let value: string;
      if (s.charCodeAt(i) === QUOTE) {
        value = '';
        let from = i + 1;
        for (;;) {
          const q = s.indexOf('"', from);
          if (q < 0) {
            if (eof) throw new NotFast();
            return -1;
          }
          if (q + 1 >= s.length && !eof) return -1;
          const part = s.slice(from, q);
          for (let k = 0; k < part.length; k++) {
            const c = part.charCodeAt(k);
            if (c === CR || c === LF) lines++;
          }
          if (s.charCodeAt(q + 1) === QUOTE) {
            value += `${part}"`;
            from = q + 2;
            continue;
          }
          value += part;
          i = q + 1;
          break;
        }
        while (i < s.length && (s.charCodeAt(i) === SPACE || s.charCodeAt(i) === TAB || s.charCodeAt(i) === FF)) i++;
      } else {
        const from = i;
        for (; i < s.length; i++) {
          const c = s.charCodeAt(i);
          if (c === COMMA || c === CR || c === LF) break;
          if (c === QUOTE) throw new NotFast();
        }
        value = s.slice(from, i).trimEnd();
        // A blank line (or one of spaces and tabs) is skipped.
        if (from === i && fields.length === 0 && s.charCodeAt(i) !== COMMA) {
          const end = this.lineEnd(s, i, eof);
          if (end === -1) return -1;
          if (end === -2) return i;
          this.line += lines + 1;
          return end;
        }
      }
      if (i - start > MAX_FAST_RECORD) throw new NotFast();
      fields.push(value);
      if (i < s.length && s.charCodeAt(i) === COMMA) {
        i++;
        if (i >= s.length && !eof) return -1;
        continue;
      }
      if (i >= s.length && !eof) return -1;
      const end = this.lineEnd(s, i, eof);
      if (end === -1) return -1;
      this.line += lines;
      this.emit(fields);
      this.line += 1;
      return end === -2 ? s.length : end;
    }
  }

  /** Where the line ending at `i` ends: the next index, -1 if more text is needed, -2 at the end of input. */
  private lineEnd(s: string, i: number, eof: boolean): number {
    if (i >= s.length) return eof ? -2 : -1;
    const c = s.charCodeAt(i);
    if (c === LF) {
      this.eol ??= '\n';
      if (this.eol !== '\n') throw new NotFast();
      return i + 1;
    }
    if (c === CR) {
      if (i + 1 >= s.length && !eof) return -1;
      if (s.charCodeAt(i + 1) !== LF) throw new NotFast();
      this.eol ??= '\r\n';
      if (this.eol !== '\r\n') throw new NotFast();
      return i + 2;
    }
    throw new NotFast();
  }

  private emit(fields: string[]): void {
    if (!this.columns) {
      const cols = fields.map((h) => h.trim().toLowerCase());
      this.checkHeader(cols);
      this.columns = cols;
      return;
    }
    const cols = this.columns;
    if (fields.length !== cols.length) throw new NotFast();
    const record: Record<string, string> = {};
    for (let k = 0; k < cols.length; k++) record[cols[k]!] = fields[k]!;
    this.records.push({ line: this.line, record });
  }
}

function csvMessage(err: { code?: string; message: string }): string {
  switch (err.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
    case 'CSV_RECORD_DONT_MATCH_COLUMNS_LENGTH':
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
