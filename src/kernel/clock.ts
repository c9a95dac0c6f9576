/**
 * Time source for everything that ages: token expiry, soft-delete retention, purge dates.
 * Injectable so tests can move time without waiting (architecture.md: "Time comes from an injectable clock").
 */
export interface Clock {
  /** Current time in milliseconds since the Unix epoch. */
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to; for tests of retention and expiry. */
export class ManualClock implements Clock {
  constructor(private current = Date.now()) {}
  now(): number {
    return this.current;
  }
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.current += ms;
  }
}

/** Whole seconds since the epoch, as Key Vault and JWT timestamps use. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}

/** ISO-8601 UTC timestamp with milliseconds, as ARM `systemData` uses. */
export function isoNow(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}
