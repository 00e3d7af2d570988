import { isTacError, TacError } from '../core/errors.js';
import type { OutStream } from './io.js';

/**
 * Prints an error as one line on stderr and returns its exit code. Internal errors say so and
 * show the stack only with --debug; a TacError's message is user-facing by construction.
 */
export function reportError(e: unknown, stderr: OutStream, debug: boolean): number {
  if (isTacError(e)) {
    // Ctrl-C at a prompt: leave at once, writing nothing. A No to a confirmation said so already.
    if (e.code === 'interrupted' || e.code === 'cancelled') return e.exitCode;
    stderr.write(`error: ${oneLine(e.message)}\n`);
    // An identity provider's request id: what its support asks for.
    if (debug && typeof e.details?.requestId === 'string') stderr.write(`request id: ${oneLine(e.details.requestId)}\n`);
    if (debug && e.cause instanceof Error && e.cause.stack) stderr.write(`${e.cause.stack}\n`);
    return e.exitCode;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  // Errors thrown by libraries may quote input; keep the line short and never multi-line.
  stderr.write(`error: unexpected: ${oneLine(err.message)}${debug ? '' : ' (run again with --debug for details)'}\n`);
  if (debug && err.stack) stderr.write(`${err.stack}\n`);
  return 1;
}

const oneLine = (s: string): string => {
  const line = s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
};

export const usageError = (message: string, field?: string): TacError => new TacError('usage', message, { field });
