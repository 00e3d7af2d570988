import type { Clock } from '../core/clock.js';

export interface FailureLimit {
  /** Failures allowed per key within the window; the next attempt is refused until it ends. */
  max: number;
  windowMs: number;
}

/**
 * Counts only failed attempts (wrong client secrets), per key, in fixed windows. @fastify/rate-limit
 * counts every request and cannot be consulted without counting, so it cannot express "N failures
 * then wait"; it still caps all token requests per address on top of this (see routes/oauth.ts).
 * Memory is bounded: the oldest keys are dropped first.
 */
export class FailureLimiter {
  private readonly entries = new Map<string, { count: number; windowStart: number }>();

  constructor(private readonly limit: FailureLimit, private readonly clock: Clock, private readonly maxKeys = 10_000) {}

  /** Seconds to wait before this key may try again, or 0. */
  retryAfter(key: string): number {
    const e = this.live(key);
    if (!e || e.count < this.limit.max) return 0;
    return Math.max(1, Math.ceil((e.windowStart + this.limit.windowMs - this.clock.now().getTime()) / 1000));
  }

  fail(key: string): void {
    const e = this.live(key);
    if (e) e.count++;
    else {
      if (this.entries.size >= this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, { count: 1, windowStart: this.clock.now().getTime() });
    }
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  private live(key: string) {
    const e = this.entries.get(key);
    if (e && e.windowStart + this.limit.windowMs <= this.clock.now().getTime()) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }
}
