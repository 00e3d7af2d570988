/** Where the server writes its log: stderr by default, a buffer in tests. */
export interface LogSink {
  write(line: string): unknown;
}

/**
 * One JSON object per line. Callers pass only fields they chose (ids, route patterns, statuses):
 * never URLs with query strings, headers or bodies, so no code, secret or token can reach the log.
 */
export class RequestLog {
  constructor(private readonly sink: LogSink) {}

  info(msg: string, fields: Record<string, unknown> = {}): void {
    this.write('info', msg, fields);
  }

  warn(msg: string, fields: Record<string, unknown> = {}): void {
    this.write('warn', msg, fields);
  }

  error(msg: string, fields: Record<string, unknown> = {}): void {
    this.write('error', msg, fields);
  }

  private write(level: string, msg: string, fields: Record<string, unknown>): void {
    try {
      this.sink.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
    } catch {
      // A closed or broken stderr must not take a request down with it.
    }
  }
}
