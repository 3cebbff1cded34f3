/**
 * Retry delays for messages that failed with a retryable error: exponential in the delivery attempt,
 * with "equal jitter" (half fixed, half random) so retries of many messages spread out while each
 * message's delays still never shrink from one attempt to the next.
 */

export interface BackoffPolicy {
  /** Delay scale of the first retry, seconds. @default 10 */
  readonly baseDelaySeconds: number;
  /** Ceiling of the backoff (a `Retry-After` floor may exceed it), seconds. @default 900 */
  readonly maxDelaySeconds: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseDelaySeconds: 10, maxDelaySeconds: 900 };

/** SQS's largest visibility timeout. */
export const MAX_VISIBILITY_SECONDS = 12 * 3600;

export interface RetryDelayInput {
  /** `ApproximateReceiveCount` of the delivery that failed (1 for the first). */
  readonly receiveCount: number;
  /** A floor from the failure (the CDP's `Retry-After`, or the time left on another delivery's lease). */
  readonly floorMs?: number;
  /** Uniform in [0, 1). */
  readonly random: number;
  readonly policy?: BackoffPolicy;
}

/** Whole seconds to keep the message invisible before its next attempt. */
export function retryDelaySeconds(input: RetryDelayInput): number {
  const policy = input.policy ?? DEFAULT_BACKOFF;
  const attempt = Math.max(1, Math.floor(input.receiveCount));
  const exponential = policy.baseDelaySeconds * 2 ** Math.min(attempt - 1, 30);
  // Capping after the jitter (not before) keeps the delays monotonic up to and at the ceiling.
  const jittered = Math.min(policy.maxDelaySeconds, exponential / 2 + (input.random * exponential) / 2);
  const floor = (input.floorMs ?? 0) / 1000;
  return Math.min(MAX_VISIBILITY_SECONDS, Math.ceil(Math.max(jittered, floor)));
}
