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

export const processIO = (): IO => ({ stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });

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
