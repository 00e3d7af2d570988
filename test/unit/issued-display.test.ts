import { describe, expect, it } from 'vitest';
import { renderIssuedCode } from '../../src/output/code-display.js';
import { PLAIN_STYLE } from '../../src/output/color.js';

/** The one-time display with what a provider leaves unsaid: no TAC id, expiry or use given. */
describe('renderIssuedCode for a provider code', () => {
  it('says "set by the provider" instead of inventing expiry or use, and leaves out the TAC id line', () => {
    const out = renderIssuedCode({
      id: null, code: '123456', status: 'active', startsAt: '2026-01-01T00:00:00.000Z', expiresAt: null, oneTime: null,
      user: { id: 'x7k2mq9alice', username: null, email: 'alice@example.com', name: null, guest: null },
    }, { style: PLAIN_STYLE, now: new Date('2026-01-01T00:00:00Z') });
    expect(out).toContain('For       x7k2mq9alice <alice@example.com>');
    expect(out).toContain('Expires   set by the provider');
    expect(out).toContain('Use       set by the provider');
    expect(out).not.toContain('TAC id');
    expect(out).toContain('This code will not be shown again.');
  });
});
