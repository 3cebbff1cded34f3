/**
 * How a CDP call failed, along two axes the processor acts on:
 * - retry later (the CDP or the network is struggling) or give up now (the CDP said the request itself is
 *   wrong, so a retry cannot help);
 * - whether the write may have been applied anyway (`maybeApplied`). A call is only known NOT to have
 *   applied when the CDP said so (any 4xx, 429 included: it refused the request) or when the request never
 *   left this process (no connection, no key). A timeout, a broken connection or a 5xx after the request was
 *   sent is ambiguous: the CDP may have applied the write and lost the answer, so the out-of-order guard
 *   must treat it as maybe applied (see `lambdas/dedupe/entity-guard.ts`).
 */

/** Why the call failed: the CDP answered with an HTTP status, the deadline passed, or the network broke. */
export type CdpFailureKind = 'http' | 'timeout' | 'network';

/** Base class of every CDP call failure. Messages never contain the API key or record values. */
export abstract class CdpError extends Error {
  abstract readonly retryable: boolean;
  /** True unless the CDP certainly did not apply the write (see the module doc). */
  abstract readonly maybeApplied: boolean;
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
  readonly maybeApplied: boolean;
  constructor(
    message: string,
    kind: CdpFailureKind,
    status?: number,
    /** The CDP's `Retry-After`, in milliseconds: a floor for the next attempt's delay. */
    readonly retryAfterMs?: number,
    /**
     * For timeouts and network errors: whether any of the request may have reached the CDP. Unknown counts
     * as sent (the safe side). Ignored for HTTP answers, which say it themselves.
     */
    requestSent = true,
  ) {
    super(message, kind, status);
    this.maybeApplied = kind === 'http' ? isAmbiguousStatus(status) : requestSent;
  }
}

/** 422 and the other 4xx: the request is wrong, retrying it would only hammer the CDP. */
export class CdpPermanentError extends CdpError {
  override readonly name = 'CdpPermanentError';
  readonly retryable = false;
  /** The CDP refused the request: nothing was applied. */
  readonly maybeApplied = false;
  constructor(message: string, status: number) {
    super(message, 'http', status);
  }
}

/** Statuses worth retrying: throttling, timeouts on the CDP side and every server error. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * Retryable answers that may hide an applied write: a 5xx can come after the CDP committed (a proxy timing
 * out, a crash before answering). 408, 425 and 429 say the CDP did not process the request.
 */
export function isAmbiguousStatus(status: number | undefined): boolean {
  return status === undefined || status >= 500;
}

/** True unless `error` proves the CDP did not apply the write (anything unknown is ambiguous). */
export function maybeApplied(error: unknown): boolean {
  return error instanceof CdpError ? error.maybeApplied : true;
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
