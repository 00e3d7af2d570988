import { describe, expect, it } from 'vitest';
import { q, runAsync, runSync, type Flow } from '../../src/core/flow.js';

/** A flow as the core writes them: reads through q, a try/catch around one of them. */
function* addBoth(a: number | Promise<number>, b: number | Promise<number>, log: string[]): Flow<number> {
  const x = yield* q(a);
  let y: number;
  try {
    y = yield* q(b);
  } catch (e) {
    log.push(`caught ${(e as Error).message}`);
    y = 0;
  }
  return x + y;
}

describe('flows', () => {
  it('runSync runs a flow over plain values in one step, synchronously', () => {
    const log: string[] = [];
    expect(runSync(addBoth(1, 2, log))).toBe(3);
    expect(log).toEqual([]);
  });

  it('runSync refuses a flow that waits for a promise, and closes it', () => {
    let finished = false;
    function* waits(): Flow<number> {
      try {
        return yield* q(Promise.resolve(1));
      } finally {
        finished = true;
      }
    }
    expect(() => runSync(waits())).toThrow(/waited for a promise/);
    expect(finished).toBe(true);
  });

  it('runAsync awaits each promise, resumes with its value, and throws a rejection into the flow', async () => {
    const log: string[] = [];
    expect(await runAsync(addBoth(Promise.resolve(1), Promise.resolve(2), log))).toBe(3);
    expect(await runAsync(addBoth(Promise.resolve(5), Promise.reject(new Error('gone')), log))).toBe(5);
    expect(log).toEqual(['caught gone']);
    await expect(runAsync(addBoth(Promise.reject(new Error('first')), 1, log))).rejects.toThrow('first');
  });

  it('q passes a value through without yielding, and yields a promise once', () => {
    const plain = q(7);
    expect(plain.next()).toEqual({ done: true, value: 7 });
    const p = Promise.resolve(8);
    const waiting = q(p);
    expect(waiting.next()).toEqual({ done: false, value: p });
    expect(waiting.next(8)).toEqual({ done: true, value: 8 });
  });
});
