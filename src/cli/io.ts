import { EXIT } from '../core/errors.js';

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
    return guarded(process.stdout);
  },
  get stderr() {
    return guarded(process.stderr);
  },
  get stdin() {
    return process.stdin;
  },
});

const GUARDED = new WeakSet<NodeJS.WriteStream>();

/**
 * A reader that goes away (`tac list | head -1`) makes node emit EPIPE, which would crash with a
 * stack trace: stop at once and quietly instead, with exit 141 (128 + SIGPIPE) as tools killed by
 * SIGPIPE report — nothing more can be shown, and a script learns the output was cut short. Any
 * other write error (a full disk) is one line and exit 1.
 */
function guarded(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  if (!GUARDED.has(stream)) {
    GUARDED.add(stream);
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') {
        try {
          process.stderr.write(`error: cannot write to ${stream === process.stdout ? 'standard output' : 'standard error'}: ${e.code ?? e.message}\n`);
        } catch {}
      }
      process.exit(e.code === 'EPIPE' ? EXIT.closedPipe : EXIT.unexpected);
    });
  }
  return stream;
}

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
