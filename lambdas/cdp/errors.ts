/**
 * How a CDP call failed, in the two classes the processor acts on: retry later (the CDP or the network
 * is struggling) or give up now (the CDP said the request itself is wrong, so a retry cannot help).
 */

/** Why the call failed: the CDP answered with an HTTP status, the deadline passed, or the network broke. */
export type CdpFailureKind = 'http' | 'timeout' | 'network';

/** Base class of every CDP call failure. Messages never contain the API key or record values. */
export abstract class CdpError extends Error {
  abstract readonly retryable: boolean;
  constructor(
    message: string,
    readonly kind: CdpFailureKind,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** 429, 5xx, 408, timeouts and network errors: the same request may succeed later. */
export class CdpRetryableError extends CdpError {
  override readonly name = 'CdpRetryableError';
  readonly retryable = true;
  constructor(
    message: string,
    kind: CdpFailureKind,
    status?: number,
    /** The CDP's `Retry-After`, in milliseconds: a floor for the next attempt's delay. */
    readonly retryAfterMs?: number,
  ) {
    super(message, kind, status);
  }
}

/** 422 and the other 4xx: the request is wrong, retrying it would only hammer the CDP. */
export class CdpPermanentError extends CdpError {
  override readonly name = 'CdpPermanentError';
  readonly retryable = false;
  constructor(message: string, status: number) {
    super(message, 'http', status);
  }
}

/** Statuses worth retrying: throttling, timeouts on the CDP side and every server error. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds from `nowMs`; undefined when
 * absent or unparseable. Negative results (a date in the past) become 0.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const dateMs = Date.parse(trimmed);
  if (Number.isNaN(dateMs)) return undefined;
  return Math.max(0, dateMs - nowMs);
}
