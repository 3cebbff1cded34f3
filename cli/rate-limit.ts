/**
 * A pacing limiter for redrive and replay, so that putting 4,000 messages back does not flood the CDP:
 * calls to {@link RateLimiter.acquire} are spaced at least `1 / rate` seconds apart.
 */

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RateLimiter {
  /** Resolves when the caller may perform the next operation. */
  acquire(): Promise<void>;
}

/**
 * Creates a limiter allowing `ratePerSecond` operations per second with no burst beyond one: an on-call
 * redrive should ramp the CDP smoothly rather than send a burst and then wait.
 */
export function createRateLimiter(ratePerSecond: number, clock: Clock = systemClock): RateLimiter {
  if (!Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
    throw new RangeError(`rate must be a positive number, got ${ratePerSecond}`);
  }
  const intervalMs = 1000 / ratePerSecond;
  let nextAt = Number.NEGATIVE_INFINITY;
  return {
    async acquire() {
      const now = clock.now();
      const at = Math.max(now, nextAt);
      nextAt = at + intervalMs;
      if (at > now) await clock.sleep(at - now);
    },
  };
}
