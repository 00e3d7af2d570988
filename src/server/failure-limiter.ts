import type { Clock } from '../core/clock.js';

export interface FailureLimit {
  /** Failures allowed per key within the window; the next attempt is refused until it ends. */
  max: number;
  windowMs: number;
}

/**
 * Counts attempts per key in fixed windows (a window starts with a key's first attempt).
 * The token endpoint counts only failed attempts (wrong client secrets) with fail/retryAfter:
 * @fastify/rate-limit counts every request and cannot be consulted without counting, so it cannot
 * express "N failures then wait"; it still caps all token requests per address on top of this
 * (see routes/oauth.ts). The verify route counts every request with hit (see client-limit.ts).
 * Memory is bounded: the oldest keys are dropped first.
 */
export class FailureLimiter {
  private readonly entries = new Map<string, { count: number; windowStart: number }>();

  constructor(private readonly limit: FailureLimit, private readonly clock: Clock, private readonly maxKeys = 10_000) {}

  /** Seconds to wait before this key may try again, or 0. */
  retryAfter(key: string): number {
    const now = this.clock.now().getTime();
    const e = this.live(key, now);
    if (!e || e.count < this.limit.max) return 0;
    return this.secondsLeft(e, now);
  }

  fail(key: string): void {
    this.hit(key);
  }

  /** Counts an attempt: how many this window has seen with it, and the seconds until the window ends. */
  hit(key: string): { count: number; secondsLeft: number } {
    const now = this.clock.now().getTime();
    let e = this.live(key, now);
    if (e) e.count++;
    else {
      if (this.entries.size >= this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, (e = { count: 1, windowStart: now }));
    }
    return { count: e.count, secondsLeft: this.secondsLeft(e, now) };
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  private secondsLeft(e: { windowStart: number }, now: number): number {
    return Math.max(1, Math.ceil((e.windowStart + this.limit.windowMs - now) / 1000));
  }

  private live(key: string, now: number) {
    const e = this.entries.get(key);
    if (e && e.windowStart + this.limit.windowMs <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }
}
