import { describe, expect, it } from 'vitest';
import { TacError } from '../../src/core/errors.js';
import { reportError } from '../../src/cli/errors.js';

const sink = () => {
  let text = '';
  return { write: (s: string) => (text += s), get text() { return text; } };
};

describe('reportError', () => {
  it('an unexpected error is one line with a hint to use --debug, exit 1, and no stack', () => {
    const out = sink();
    const code = reportError(new Error('boom\n  with a second line'), out, false);
    expect(code).toBe(1);
    expect(out.text).toBe('error: unexpected: boom with a second line (run again with --debug for details)\n');
  });

  it('--debug adds the stack of an unexpected error', () => {
    const out = sink();
    reportError(new Error('boom'), out, true);
    expect(out.text.split('\n')[0]).toBe('error: unexpected: boom');
    expect(out.text).toContain('    at ');
  });

  it("an identity provider's request id is printed only with --debug", () => {
    const e = new TacError('forbidden', 'mosaic refused it', { details: { requestId: 'req-42' } });
    const plain = sink();
    reportError(e, plain, false);
    expect(plain.text).toBe('error: mosaic refused it\n');
    const debug = sink();
    reportError(e, debug, true);
    expect(debug.text).toBe('error: mosaic refused it\nrequest id: req-42\n');
  });

  it('a TacError is its message, its exit code, no hint and no stack', () => {
    const out = sink();
    expect(reportError(new TacError('policy_violation', '--ttl: out of range'), out, false)).toBe(5);
    expect(out.text).toBe('error: --ttl: out of range\n');
  });

  it('Ctrl-C (interrupted) writes nothing and exits 130', () => {
    const out = sink();
    expect(reportError(new TacError('interrupted', 'interrupted'), out, false)).toBe(130);
    expect(out.text).toBe('');
  });

  it('a No to a confirmation (cancelled) is exit 8, apart from Ctrl-C, and writes no error', () => {
    const out = sink();
    expect(reportError(new TacError('cancelled', 'cancelled'), out, false)).toBe(8);
    expect(out.text).toBe('');
  });
});
