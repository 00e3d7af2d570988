import { describe, expect, it } from 'vitest';
import { newId } from '../../src/core/users.js';

describe('newId', () => {
  it('is the prefix and 16 base32 characters, time first', () => {
    const id = newId('usr', new Date(Date.UTC(2030, 0, 1)));
    expect(id).toMatch(/^usr_[a-z2-7]{16}$/);
  });

  it('orders by creation time and stays unique within one millisecond', () => {
    const at = new Date(Date.UTC(2031, 5, 1));
    const ids = Array.from({ length: 10_000 }, () => newId('tac', at));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    const later = newId('tac', new Date(at.getTime() + 1));
    expect(later > ids[ids.length - 1]!).toBe(true);
    expect(later.slice(0, 13)).not.toBe(ids[0]!.slice(0, 13));
  });

  it('encodes the millisecond it was made in, for each new millisecond (the time part is kept between ids)', () => {
    const ms = (id: string) => [...id.slice(4, 13)].reduce((n, c) => n * 32 + '234567abcdefghijklmnopqrstuvwxyz'.indexOf(c), 0);
    for (const at of [Date.UTC(2033, 0, 1), Date.UTC(2033, 0, 1) + 1, Date.UTC(2040, 6, 15, 12, 30, 45, 678)]) {
      expect(ms(newId('usr', new Date(at)))).toBe(at);
      expect(ms(newId('tac', new Date(at)))).toBe(at);
    }
  });

  it('never goes back when the clock does', () => {
    const a = newId('usr', new Date(Date.UTC(2032, 0, 1)));
    const b = newId('usr', new Date(Date.UTC(2001, 0, 1)));
    expect(b > a).toBe(true);
  });
});
