/** Where the server writes its log: stderr by default, a buffer in tests. */
export interface LogSink {
  write(line: string): unknown;
}

/** Buffered lines are written at once past this size, whatever the turn. */
const MAX_BUFFER_CHARS = 64 * 1024;

/**
 * One JSON object per line. Callers pass only fields they chose (ids, route patterns, statuses):
 * never URLs with query strings, headers or bodies, so no code, secret or token can reach the log.
 *
 * `buffered` (tac serve): the lines of one event-loop turn are written together at its end (one
 * write instead of one per request; stderr to a file or pipe is a synchronous write), and by
 * flush(), which the server calls when it closes. A crash loses at most the current turn's lines.
 */
export class RequestLog {
  private pending = '';
  private scheduled = false;

  constructor(private readonly sink: LogSink, private readonly opts: { buffered?: boolean } = {}) {}

  info(msg: string, fields: Record<string, unknown> = {}): void {
    this.write('info', msg, fields);
  }

  warn(msg: string, fields: Record<string, unknown> = {}): void {
    this.write('warn', msg, fields);
  }

  error(msg: string, fields: Record<string, unknown> = {}): void {
    this.write('error', msg, fields);
  }

  /** Writes whatever is buffered. */
  flush(): void {
    if (!this.pending) return;
    const text = this.pending;
    this.pending = '';
    this.emit(text);
  }

  private write(level: string, msg: string, fields: Record<string, unknown>): void {
    const line = `${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`;
    if (!this.opts.buffered) {
      this.emit(line);
      return;
    }
    this.pending += line;
    if (this.pending.length >= MAX_BUFFER_CHARS) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  private emit(text: string): void {
    try {
      this.sink.write(text);
    } catch {
      // A closed or broken stderr must not take a request down with it.
    }
  }
}
