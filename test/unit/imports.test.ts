import { describe, expect, it } from 'vitest';
import { DuplicateTracker } from '../../src/core/imports.js';

describe('DuplicateTracker', () => {
  it('finds a repeated value (case-insensitively) with both line numbers, per field', () => {
    const t = new DuplicateTracker();
    expect(t.check(2, { email: 'a@example.com', username: 'a@example.com', phone: null })).toBe(true);
    // The same value in another field is not a duplicate.
    expect(t.check(3, { email: 'b@example.com', username: 'A@example.com-not' })).toBe(true);
    expect(t.check(4, { email: 'B@Example.com', username: 'b2' })).toBe(false);
    expect(t.candidates).toEqual([{ line: 4, field: 'email', value: 'B@Example.com', firstLine: 3 }]);
    expect([...t.linesToConfirm()]).toEqual([3]);
    const { errors, cleared } = t.confirm(new Map([[3, { email: 'b@example.com', username: 'A@example.com-not' }]]));
    expect(cleared).toEqual([]);
    expect(errors.map((e) => [e.line, e.error.message])).toEqual([[4, 'line 4: email: "B@Example.com" already appears on line 3']]);
  });

  it('reports one error per line, the first field that repeats', () => {
    const t = new DuplicateTracker();
    t.check(2, { email: 'g@example.com', username: 'g@example.com' });
    expect(t.check(3, { email: 'g@example.com', username: 'g@example.com' })).toBe(false);
    const { errors } = t.confirm(new Map([[2, { email: 'g@example.com', username: 'g@example.com' }]]));
    expect(errors.map((e) => e.error.message)).toEqual(['line 3: email: "g@example.com" already appears on line 2']);
  });

  it('a hash match whose earlier value differs (a collision) is cleared, not reported', () => {
    const t = new DuplicateTracker();
    t.check(2, { email: 'x@example.com' });
    // Stand-in for a 64-bit hash collision: a candidate whose earlier line holds another value.
    t.candidates.push({ line: 9, field: 'email', value: 'y@example.com', firstLine: 2 });
    const { errors, cleared } = t.confirm(new Map([[2, { email: 'x@example.com' }]]));
    expect(errors).toEqual([]);
    expect(cleared).toEqual([9]);
  });

  it('keeps every value of a large file exactly (no false candidates) in compact tables', () => {
    const t = new DuplicateTracker();
    for (let i = 0; i < 50_000; i++) {
      expect(t.check(i + 2, { email: `user${i}@example.com`, username: `user${i}`, phone: i % 3 ? null : `+1555${i}` })).toBe(true);
    }
    expect(t.candidates).toEqual([]);
    expect(t.check(60_000, { email: 'USER49999@example.com' })).toBe(false);
    expect(t.check(60_001, { username: 'user0' })).toBe(false);
    expect(t.candidates.map((c) => c.firstLine)).toEqual([50_001, 2]);
  });
});
