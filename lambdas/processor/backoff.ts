/**
 * Retry delays for messages that failed with a retryable error: exponential in the delivery attempt,
 * with "equal jitter" (half fixed, half random) so retries of many messages spread out while each
 * message's delays still never shrink from one attempt to the next.
 *
 * The budget is sized for real outages, not blips: with the defaults (10 s base, 1 h cap) and
 * `QUEUE_DEFAULTS.maxReceiveCount` (12) receives, the last receive comes 2.4-3.4 h after the first failure
 * ({@link retrySchedule}), so a CDP outage of up to 2 hours heals by itself and a longer one lands in the DLQ.
 * Every receive counts, whatever the failure (contention over an entity or a concurrent delivery too), but
 * early receives cost seconds: the budget sits in the last few delays.
 */
import { QUEUE_DEFAULTS } from '../shared/schema';

/** SQS's largest visibility timeout, counted from the receive (extensions included). */
export const MAX_VISIBILITY_SECONDS = 12 * 3600;

export interface BackoffPolicy {
  /** Delay scale of the first retry, seconds. @default 10 */
  readonly baseDelaySeconds: number;
  /** Ceiling of the exponential backoff (a `Retry-After` floor may exceed it), seconds. @default 3600 */
  readonly maxDelaySeconds: number;
  /**
   * Longest delay SQS is sure to accept, seconds: {@link visibilityCeilingSeconds} of the queue's visibility
   * timeout. Any longer delay, `Retry-After` included, is clamped to it. @default for the default queue
   */
  readonly ceilingSeconds?: number;
}

/**
 * The longest delay ChangeMessageVisibility is sure to accept. SQS counts its 12-hour limit from the
 * receive, extensions included, and rejects a longer request outright (the message would then reappear
 * after the queue's default visibility, minutes instead of hours). A message being processed was received
 * at most one visibility timeout ago (after that it is visible again), so 12 h minus that always fits.
 */
export function visibilityCeilingSeconds(visibilityTimeoutSeconds: number): number {
  return Math.max(0, MAX_VISIBILITY_SECONDS - Math.max(0, Math.ceil(visibilityTimeoutSeconds)));
}

const DEFAULT_VISIBILITY_SECONDS =
  QUEUE_DEFAULTS.processorTimeoutSeconds * QUEUE_DEFAULTS.visibilityTimeoutMultiplier;

export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseDelaySeconds: 10,
  maxDelaySeconds: 3600,
  ceilingSeconds: visibilityCeilingSeconds(DEFAULT_VISIBILITY_SECONDS),
};

/** The default policy for a queue with this visibility timeout (the processor reads it from its environment). */
export function backoffForVisibility(visibilityTimeoutSeconds: number): BackoffPolicy {
  return { ...DEFAULT_BACKOFF, ceilingSeconds: visibilityCeilingSeconds(visibilityTimeoutSeconds) };
}

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
  const floor = Math.max(0, input.floorMs ?? 0) / 1000;
  // A Retry-After beyond what SQS accepts waits as long as SQS allows, never falls back to the default.
  const ceiling = policy.ceilingSeconds ?? MAX_VISIBILITY_SECONDS;
  return Math.min(ceiling, Math.ceil(Math.max(jittered, floor)));
}

/** Seconds from the first failed receive to each later receive, at both ends of the jitter. */
export interface RetrySchedule {
  /** `earliest[i]`: earliest start of receive `i + 2` after receive 1 failed (all jitter at its minimum). */
  readonly earliest: readonly number[];
  /** `latest[i]`: latest start of receive `i + 2` (all jitter at its maximum), without `Retry-After` floors. */
  readonly latest: readonly number[];
  /** Earliest start of the last receive: an outage shorter than this heals without a DLQ entry. */
  readonly earliestLastReceiveSeconds: number;
  /** Latest time SQS moves a message that keeps failing to the DLQ (after the last receive's delay too). */
  readonly latestDeadLetterSeconds: number;
}

/**
 * The cumulative schedule of a message failing on every receive, from receive 1 up to the move to the
 * DLQ, ignoring processing time (which only stretches it). Receives already spent before an outage
 * (`spentReceives`, e.g. contention) shift the start: the outage then meets receive `spentReceives + 1`.
 */
export function retrySchedule(
  maxReceiveCount: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  spentReceives = 0,
): RetrySchedule {
  const earliest: number[] = [];
  const latest: number[] = [];
  let low = 0;
  let high = 0;
  for (let receive = spentReceives + 1; receive < maxReceiveCount; receive++) {
    low += retryDelaySeconds({ receiveCount: receive, random: 0, policy });
    high += retryDelaySeconds({ receiveCount: receive, random: 1, policy });
    earliest.push(low);
    latest.push(high);
  }
  const lastDelay = retryDelaySeconds({ receiveCount: maxReceiveCount, random: 1, policy });
  return {
    earliest,
    latest,
    earliestLastReceiveSeconds: low,
    latestDeadLetterSeconds: high + lastDelay,
  };
}

/**
 * The longest a message can stay on the main queue before SQS moves it to the DLQ, whatever the CDP
 * answers: each receive holds it invisible for at most SQS's 12 hours (a `Retry-After` at the ceiling
 * every time). The main queue's retention must exceed it, or a message could expire instead of being
 * dead-lettered.
 */
export function longestRetrySpanSeconds(maxReceiveCount: number): number {
  return Math.max(1, maxReceiveCount) * MAX_VISIBILITY_SECONDS;
}
