import { expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { FailureLimiter } from '../../src/server/failure-limiter.js';

it('blocks a key after max failures until its window ends, and bounds memory', () => {
  const clock = new FakeClock('2026-01-01T00:00:00Z');
  const l = new FailureLimiter({ max: 2, windowMs: 60_000 }, clock, 3);
  l.fail('a');
  expect(l.retryAfter('a')).toBe(0);
  l.fail('a');
  expect(l.retryAfter('a')).toBe(60);
  clock.advance(0.5);
  expect(l.retryAfter('a')).toBe(30);
  clock.advance(0.5);
  expect(l.retryAfter('a')).toBe(0);

  l.fail('b');
  l.fail('b');
  l.reset('b');
  expect(l.retryAfter('b')).toBe(0);

  for (const k of ['c', 'd', 'e']) {
    l.fail(k);
    l.fail(k);
  }
  l.fail('f'); // evicts the oldest key
  expect(l.retryAfter('c')).toBe(0);
  expect(l.retryAfter('e')).toBe(60);
});
