/** Time comes from a clock so that expiry, lockout and purge can be tested without waiting. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests can move by hand. */
export class FakeClock implements Clock {
  private t: number;
  constructor(start: Date | string = '2026-01-01T00:00:00.000Z') {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  advance(minutes: number): void {
    this.t += minutes * 60_000;
  }
  set(at: Date | string): void {
    this.t = new Date(at).getTime();
  }
}

export const addMinutes = (d: Date, minutes: number): Date => new Date(d.getTime() + minutes * 60_000);
let lastMs = NaN;
let lastIso = '';
/** ISO-8601 UTC. Remembers the last result: one operation formats the same instant many times. */
export const iso = (d: Date): string => {
  const ms = d.getTime();
  if (ms !== lastMs) {
    lastIso = d.toISOString();
    lastMs = ms;
  }
  return lastIso;
};
