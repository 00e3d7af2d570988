import type { AvailabilityChange, AvailabilityListener } from '../engine.js';

export type { AvailabilityChange };
import { failureReason } from './errors.js';

/**
 * Whether the last query reached the database. The server logs transitions only (one line when
 * the database goes away, one when it is back), not each of the thousand requests that fail in
 * between. A boolean test per query: nothing on the hot path.
 */
export class Availability {
  private down = false;
  private readonly listeners: AvailabilityListener[] = [];

  onChange(listener: AvailabilityListener): void {
    this.listeners.push(listener);
  }

  failed(e: unknown): void {
    if (this.down) return;
    this.down = true;
    this.emit({ available: false, reason: failureReason(e) });
  }

  succeeded(): void {
    if (!this.down) return;
    this.down = false;
    this.emit({ available: true });
  }

  private emit(change: AvailabilityChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch {
        // A listener (a log write) must not turn a query's outcome into another error.
      }
    }
  }
}
