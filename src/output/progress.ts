import { createRequire } from 'node:module';
import type { OutStream } from '../cli/io.js';

export interface Progress {
  update(done: number): void;
  stop(): void;
}

const NONE: Progress = { update: () => undefined, stop: () => undefined };

/**
 * A progress bar on stderr (rows done, rate, ETA) when stderr is a terminal; nothing when piped,
 * so logs and CI output stay clean. cli-progress is loaded only when a bar is drawn.
 */
export function progressBar(stderr: OutStream, total: number, label: string): Progress {
  if (!stderr.isTTY || total <= 0) return NONE;
  const { SingleBar } = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
  const started = Date.now();
  const bar = new SingleBar({
    stream: stderr as unknown as NodeJS.WritableStream,
    format: `${label} [{bar}] {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}`,
    barCompleteChar: '#',
    barIncompleteChar: '-',
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 20,
  });
  bar.start(total, 0, { rate: '0' });
  return {
    update(done) {
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      bar.update(done, { rate: Math.round(done / seconds).toString() });
    },
    stop() {
      bar.stop();
    },
  };
}
