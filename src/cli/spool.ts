import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Bytes gathered before a write, and read at a time. */
const CHUNK = 1 << 20;

/**
 * The rows an import validated, kept between its two phases (check every row, then write) on
 * disk rather than in memory, so memory stays flat with the file's size, and written back without
 * parsing the CSV and validating each row a second time. One JSON line per row.
 *
 * The file is created owner-only under the temp dir and, where the OS allows (POSIX), unlinked at
 * once: it has no name while it is used, and even a killed process leaves nothing behind (the rows
 * hold users' names, emails and phone numbers, never a code).
 */
export class RowSpool<T> {
  private readonly fd: number;
  private path: string | undefined;
  private pending = '';
  private written = 0;
  private closed = false;

  constructor(dir = tmpdir()) {
    const path = join(dir, `tac-import-${randomBytes(8).toString('hex')}.jsonl`);
    this.fd = openSync(path, 'wx+', 0o600);
    this.path = path;
    try {
      unlinkSync(path);
      this.path = undefined;
    } catch {
      // Windows: an open file cannot be unlinked; close() removes it.
    }
  }

  push(line: number, row: T): void {
    this.pending += `${JSON.stringify([line, row])}\n`;
    if (this.pending.length >= CHUNK) this.flush();
  }

  private flush(): void {
    if (!this.pending) return;
    const buf = Buffer.from(this.pending, 'utf8');
    writeSync(this.fd, buf, 0, buf.length, this.written);
    this.written += buf.length;
    this.pending = '';
  }

  /** The rows in the order pushed, `size` at a time. */
  *batches(size: number): Generator<{ line: number; input: T }[]> {
    this.flush();
    const buf = Buffer.alloc(CHUNK);
    let batch: { line: number; input: T }[] = [];
    // Bytes after the last newline read so far: they may end inside a UTF-8 character, so they are
    // decoded only once their line is whole (a newline byte is never inside a character).
    let rest = Buffer.alloc(0);
    for (let pos = 0; pos < this.written;) {
      const n = readSync(this.fd, buf, 0, Math.min(CHUNK, this.written - pos), pos);
      pos += n;
      const nl = buf.lastIndexOf(0x0a, n - 1);
      if (nl === -1) {
        rest = Buffer.concat([rest, buf.subarray(0, n)]);
        continue;
      }
      const text = Buffer.concat([rest, buf.subarray(0, nl + 1)]).toString('utf8');
      rest = Buffer.from(buf.subarray(nl + 1, n));
      for (let start = 0, end = text.indexOf('\n'); end !== -1; start = end + 1, end = text.indexOf('\n', start)) {
        const [line, input] = JSON.parse(text.slice(start, end)) as [number, T];
        batch.push({ line, input });
        if (batch.length === size) {
          yield batch;
          batch = [];
        }
      }
    }
    if (batch.length) yield batch;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    if (this.path) unlinkSync(this.path);
  }
}
