/** The process's streams, injected so commands can be tested without a process or a TTY. */
export interface OutStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface IO {
  stdout: OutStream;
  stderr: OutStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/**
 * The process's own streams, each created on first use: node builds process.stdin and friends
 * lazily (a stream over a pipe or a file costs a few ms), and most commands never read stdin.
 */
export const processIO = (): IO => ({
  get stdout() {
    return process.stdout;
  },
  get stderr() {
    return process.stderr;
  },
  get stdin() {
    return process.stdin;
  },
});

/** Reads standard input up to the first newline (or its end) without echoing anything. */
export async function readFirstLine(stdin: NodeJS.ReadableStream, maxBytes = 64 * 1024): Promise<string> {
  let buf = '';
  for await (const chunk of stdin) {
    buf += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    const nl = buf.search(/\r?\n/);
    if (nl >= 0) return buf.slice(0, nl);
    if (buf.length > maxBytes) break;
  }
  return buf.slice(0, maxBytes);
}
