/**
 * The processor's domain: one SQS record in, one outcome out. Every event either reaches the CDP exactly
 * once in effect, is retried later with a growing delay, or lands in the DLQ with its reason.
 *
 * Per record: parse the envelope → claim the dedupe key (duplicates are acknowledged, a live claim of a
 * concurrent delivery is retried later) → load the body (inline or claim check) → map to CDP operations →
 * apply each operation not applied by an earlier attempt (upserts through the out-of-order guard), with an
 * Idempotency-Key derived from the dedupe key and the operation name → mark completed with the retention
 * (the completion also records the last operation and ends its entity lock: 2 DynamoDB writes for an
 * unguarded single operation, 3 for a guarded upsert).
 *
 * Ambiguous CDP writes: a timeout, network error or 5xx after the request was sent may hide a write that
 * landed. The out-of-order guard then records the upsert as maybe applied (never simply unlocks, and keeps
 * newer updates out for a short quarantine), so an older update cannot overwrite it; only a definite
 * refusal (4xx, 429, not sent) rolls the guard back. Logs say which (`cdpWrite`: `maybe_applied` or
 * `not_applied`).
 *
 * Retention: the dedupe record of an event that is not completed lives main-queue retention + DLQ retention
 * + a margin from its last write (`incompleteRetentionSeconds`), so a redrive days later still finds the
 * operations already applied; the completed marker keeps the source's `dedupeTtlHours`, or the longer
 * retention when the event needed more than one attempt (another copy may still sit in the DLQ).
 *
 * Same key, same payload: operations are mapped from the delivery context pinned by the event's first
 * claim, so every retry of an operation sends the same bytes under the same Idempotency-Key.
 *
 * Failure policy:
 * - Retryable (CDP 429/5xx/timeouts/network, AWS errors, a concurrent delivery or entity update): release
 *   the claim at once (its progress stays recorded; the visibility delay spaces out the retry, so holding the
 *   lease would only block a legitimate redelivery), stretch the message's visibility with backoff and
 *   jitter, report the item failed. SQS moves it to the DLQ after `maxReceiveCount`.
 * - Permanent (CDP 4xx, unmappable payload, malformed envelope, vanished claim check, a redriven
 *   `unusable_payload` the ingest dead-lettered): send the original
 *   message to the DLQ with the reason attributes, release the claim (so a redrive after a fix runs again,
 *   resuming after the operations already applied), acknowledge. A claim-checked body's lifecycle clock is
 *   restarted before the DLQ message is sent, so the body outlives it.
 * - Completed (processed, unmapped, duplicate): a claim-checked body is deleted; nothing needs it any more.
 */

import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { CdpRecord, CdpWriter } from '../cdp/client';
import { CdpError, CdpPermanentError, CdpRetryableError, maybeApplied } from '../cdp/errors';
import type { Claim, DedupeStore } from '../dedupe/dedupe-store';
import { incompleteRecordRetentionSeconds, LeaseLostError } from '../dedupe/dedupe-store';
import type { EntityGuard, EntityLock } from '../dedupe/entity-guard';
import { EntityLockLostError } from '../dedupe/entity-guard';
import {
  type CdpOperation,
  MAPPED_HEADERS,
  MappingError,
  type MappingResult,
  mapEvent,
  operationIdempotencyKey,
  parseJsonBody,
} from '../mapping/index';
import {
  type EnvelopeBody,
  FAILURE_ATTRIBUTES,
  isQueueEnvelope,
  type QueueEnvelope,
} from '../shared/envelope';
import { LOG_FIELDS, LOG_MESSAGES } from '../shared/log-metrics';
import { type DeliveryContext, QUEUE_DEFAULTS } from '../shared/schema';
import { SecretUnavailableError } from '../shared/secrets';
import { DEFAULT_DEDUPE_TTL_HOURS, type SourceConfig } from '../shared/source-config';
import { type BackoffPolicy, DEFAULT_BACKOFF, retryDelaySeconds } from './backoff';
import {
  type BodyStore,
  ClaimCheckMissingError,
  type MetricDimensions,
  type OutgoingAttribute,
  type ProcessorLogger,
  type ProcessorMetrics,
  type QueuePort,
} from './ports';

export interface ProcessorDeps {
  readonly dedupe: DedupeStore;
  readonly guard: EntityGuard;
  readonly cdp: CdpWriter;
  readonly queue: QueuePort;
  readonly bodies: BodyStore;
  readonly sources: ReadonlyMap<string, SourceConfig>;
  readonly logger: ProcessorLogger;
  readonly metrics: ProcessorMetrics;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default DEFAULT_BACKOFF */
  readonly backoff?: BackoffPolicy;
  /** SQS redrive's `maxReceiveCount`, for logs (`final attempt`). @default QUEUE_DEFAULTS.maxReceiveCount */
  readonly maxReceiveCount?: number;
  /**
   * Retention of the dedupe record of an event that is not completed, renewed by every write to it: main
   * queue retention + DLQ retention + margin (`incompleteRecordRetentionSeconds`).
   * @default from QUEUE_DEFAULTS' retentions
   */
  readonly incompleteRetentionSeconds?: number;
  /**
   * Time kept back from every CDP call's deadline for the bookkeeping writes after it, ms. @default 2000
   */
  readonly safetyMarginMs?: number;
  /** How often to wait in-process for a busy entity before retrying the message later. @default 3 */
  readonly entityBusyWaits?: number;
  /** @default (ms) => new Promise(r => setTimeout(r, ms)) */
  readonly sleep?: (ms: number) => Promise<void>;
}

export type RecordOutcome =
  | 'processed'
  | 'duplicate'
  | 'unmapped'
  | 'dead_lettered'
  /** Failed retryably; the message stays on the queue with a visibility delay. */
  | 'retry';

/** Thrown by the batch record handler so Powertools reports the item in `batchItemFailures`. */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
  constructor(
    message: string,
    readonly failureClass: string,
    /** Earliest sensible retry, ms from now. */
    readonly floorMs = 0,
  ) {
    super(message);
  }
}

/** An envelope the processor cannot read: permanent. */
class MalformedEnvelopeError extends Error {
  override readonly name = 'MalformedEnvelopeError';
}

/**
 * A message the ingest dead-lettered as authentic but unusable (it carries no event), put back on the queue
 * by a redrive: permanent, back to the DLQ with its reason, never into the CDP.
 */
class UnusablePayloadError extends Error {
  override readonly name = 'UnusablePayloadError';
}

interface Classified {
  readonly retryable: boolean;
  readonly failureClass: string;
  readonly status?: number;
  readonly floorMs?: number;
  readonly message: string;
  /** For CDP failures: whether the write may have been applied all the same. */
  readonly cdpWrite?: 'maybe_applied' | 'not_applied';
}

/** True unless the failed CDP call certainly applied nothing (the guard then rolls back, see module doc). */
function cdpWriteMaybeApplied(error: unknown): boolean {
  // The key is read before anything is sent: an unavailable secret means nothing left this process.
  return !(error instanceof SecretUnavailableError) && maybeApplied(error);
}

/** Maps any error to retryable-or-permanent with a stable class (also the `Failed` metric's dimension). */
export function classifyError(error: unknown): Classified {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof CdpPermanentError) {
    return {
      retryable: false,
      failureClass: 'cdp_rejected',
      status: error.status,
      message,
      cdpWrite: 'not_applied',
    };
  }
  if (error instanceof CdpRetryableError) {
    const failureClass =
      error.kind === 'timeout'
        ? 'cdp_timeout'
        : error.kind === 'network'
          ? 'cdp_network'
          : error.status === 429
            ? 'cdp_throttled'
            : 'cdp_unavailable';
    return {
      retryable: true,
      failureClass,
      status: error.status,
      floorMs: error.retryAfterMs,
      message,
      cdpWrite: error.maybeApplied ? 'maybe_applied' : 'not_applied',
    };
  }
  if (error instanceof CdpError) {
    return {
      retryable: true,
      failureClass: 'cdp_unavailable',
      message,
      cdpWrite: error.maybeApplied ? 'maybe_applied' : 'not_applied',
    };
  }
  if (error instanceof MappingError) return { retryable: false, failureClass: 'mapping_failed', message };
  if (error instanceof MalformedEnvelopeError) {
    return { retryable: false, failureClass: 'malformed_envelope', message };
  }
  if (error instanceof UnusablePayloadError) {
    return { retryable: false, failureClass: 'unusable_payload', message };
  }
  if (error instanceof ClaimCheckMissingError) {
    return { retryable: false, failureClass: 'claim_check_missing', message };
  }
  if (error instanceof RetryLaterError) {
    return { retryable: true, failureClass: error.failureClass, floorMs: error.floorMs, message };
  }
  if (error instanceof SecretUnavailableError) {
    return { retryable: true, failureClass: 'secret_unavailable', message };
  }
  if (error instanceof LeaseLostError || error instanceof EntityLockLostError) {
    return { retryable: true, failureClass: 'lease_lost', message };
  }
  return {
    retryable: true,
    failureClass: 'internal',
    message: `${(error as Error)?.name ?? 'Error'}: ${message}`,
  };
}

/**
 * The delivery context of an envelope: what mappings read besides the event bytes (only the headers they
 * may read), without undefined fields (DynamoDB refuses them).
 */
function deliveryContext(envelope: QueueEnvelope): DeliveryContext {
  const headers: Record<string, string> = {};
  for (const name of MAPPED_HEADERS) {
    const value = envelope.headers?.[name];
    if (value !== undefined) headers[name] = value;
  }
  return {
    receivedAt: envelope.receivedAt,
    ...(envelope.occurredAt !== undefined ? { occurredAt: envelope.occurredAt } : {}),
    headers,
  };
}

/** SQS allows at most 10 message attributes. */
const MAX_MESSAGE_ATTRIBUTES = 10;

/** The Lambda event's attribute shape converted to SendMessage's. */
function outgoingAttributes(record: SQSRecord): Record<string, OutgoingAttribute> {
  const out: Record<string, OutgoingAttribute> = {};
  for (const [name, attribute] of Object.entries(record.messageAttributes ?? {})) {
    if (attribute.stringValue !== undefined) {
      out[name] = { DataType: attribute.dataType, StringValue: attribute.stringValue };
    } else if (attribute.binaryValue !== undefined) {
      out[name] = { DataType: attribute.dataType, BinaryValue: Buffer.from(attribute.binaryValue, 'base64') };
    }
  }
  return out;
}

/** Remaining invocation time, ms. */
export type RemainingTime = () => number;

/** The processor: per-record domain call plus the SQS batch adapter around it. */
export interface Processor {
  processRecord(record: SQSRecord, remainingMs: RemainingTime): Promise<RecordOutcome>;
  /** Processes a batch with partial batch responses (`ReportBatchItemFailures`). */
  handleBatch(event: SQSEvent, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse>;
}

/** Builds the processor from its dependencies (the Lambda handler wires AWS ones from the environment). */
export function createProcessor(deps: ProcessorDeps): Processor {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;
  const maxReceiveCount = deps.maxReceiveCount ?? QUEUE_DEFAULTS.maxReceiveCount;
  const incompleteRetentionSeconds =
    deps.incompleteRetentionSeconds ??
    incompleteRecordRetentionSeconds({
      queueRetentionSeconds: QUEUE_DEFAULTS.mainRetentionDays * 86_400,
      dlqRetentionSeconds: QUEUE_DEFAULTS.dlqRetentionDays * 86_400,
    });
  const safetyMarginMs = deps.safetyMarginMs ?? 2000;
  const entityBusyWaits = deps.entityBusyWaits ?? 3;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { logger, metrics } = deps;

  function parseEnvelope(body: string): QueueEnvelope {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new MalformedEnvelopeError('Message body is not JSON');
    }
    if (!isQueueEnvelope(parsed)) throw new MalformedEnvelopeError('Message body is not a queue envelope');
    return parsed;
  }

  /**
   * Milliseconds an event spent in CDP calls during one attempt, summed over its operations: logged as
   * `cdpMs` on the line that ends the attempt, where the `CdpLatency` metric filter reads it
   * (lambdas/shared/log-metrics.ts).
   */
  interface CdpTime {
    ms: number;
    calls: number;
  }

  /** `{ cdpMs }` for the attempt's closing line when it made a CDP call, else nothing. */
  const cdpTimeField = (time: CdpTime) => (time.calls > 0 ? { [LOG_FIELDS.cdpMs]: time.ms } : {});

  /**
   * Applies one operation; returns false when the out-of-order guard skipped it as stale. `lastOperation`:
   * the event's completion is the very next write, and it settles the entity lock too (no guard commit; see
   * entity-guard.ts).
   */
  async function applyOperation(
    envelope: QueueEnvelope,
    op: CdpOperation,
    idempotencyKey: string,
    dims: MetricDimensions,
    remainingMs: RemainingTime,
    lastOperation: boolean,
    cdpTime: CdpTime,
  ): Promise<boolean> {
    let lock: EntityLock | undefined;
    if (op.kind === 'upsert' && op.eventTimeMs !== undefined) {
      const matchValue = op.record[op.matchKey];
      if (typeof matchValue === 'string' || typeof matchValue === 'number') {
        const entity = {
          sourceId: envelope.sourceId,
          object: op.object,
          matchKeyValue: String(matchValue),
          ...(op.guardScope ? { scope: op.guardScope } : {}),
        };
        for (let wait = 0; ; wait++) {
          const nowMs = now();
          const result = await deps.guard.acquire({
            entity,
            owner: idempotencyKey,
            eventKey: envelope.dedupeKey,
            eventTimeMs: op.eventTimeMs,
            nowMs,
            lockMs: Math.max(1000, remainingMs()),
          });
          if (result.outcome === 'acquired') {
            lock = result.lock;
            break;
          }
          if (result.outcome === 'stale') {
            metrics.record('StaleSkipped', dims);
            logger.info('Stale update skipped: a newer one for the entity was applied', {
              dedupeKey: envelope.dedupeKey,
              eventType: envelope.eventType,
              operation: op.name,
              object: op.object,
              eventTime: new Date(op.eventTimeMs).toISOString(),
              lastAppliedAt: new Date(result.lastAppliedAtMs).toISOString(),
            });
            return false;
          }
          const lockLeftMs = Math.max(0, result.lockExpiresAtMs - nowMs);
          if (wait >= entityBusyWaits) {
            throw new RetryLaterError(
              `Entity ${op.object} is being updated by another event`,
              'entity_busy',
              lockLeftMs,
            );
          }
          await sleep(Math.min(250, lockLeftMs) + Math.floor(random() * 50));
        }
      }
    }

    const timeoutMs = remainingMs() - safetyMarginMs;
    if (timeoutMs < 500) {
      if (lock) await deps.guard.release(lock);
      throw new RetryLaterError('Not enough invocation time left for a CDP call', 'invocation_deadline');
    }
    const started = now();
    try {
      const result =
        op.kind === 'upsert'
          ? await deps.cdp.upsert(op.object, op.record as CdpRecord, op.matchKey, {
              idempotencyKey,
              timeoutMs,
            })
          : await deps.cdp.append(op.object, op.record as CdpRecord, { idempotencyKey, timeoutMs });
      cdpTime.ms += now() - started;
      cdpTime.calls += 1;
      if (result.replayed) {
        logger.info('CDP replayed an operation applied by an earlier attempt', {
          dedupeKey: envelope.dedupeKey,
          operation: op.name,
        });
      }
    } catch (error) {
      cdpTime.ms += now() - started;
      cdpTime.calls += 1;
      if (lock) {
        // A write that may have landed stays counted (older updates become stale); only a definite refusal
        // rolls the guard back. If this bookkeeping fails, the intent written by acquire still counts as
        // maybe applied once the lock expires: the safe side.
        const settle = cdpWriteMaybeApplied(error)
          ? deps.guard.markMaybeApplied(lock, envelope.dedupeKey, now())
          : deps.guard.release(lock);
        await settle.catch(() => undefined);
      }
      throw error;
    }
    if (lock && !lastOperation) await deps.guard.commit(lock, envelope.dedupeKey, now());
    return true;
  }

  async function processClaimed(
    envelope: QueueEnvelope,
    claim: Claim,
    dedupeTtlSeconds: number,
    dims: MetricDimensions,
    remainingMs: RemainingTime,
    cdpTime: CdpTime,
  ): Promise<RecordOutcome> {
    // An event that needed more than one attempt may have another copy in the DLQ (dead-lettered, then
    // redelivered by the provider or redriven twice): its completed marker must outlive that copy too.
    const ttlSeconds =
      claim.attempts > 1 ? Math.max(dedupeTtlSeconds, incompleteRetentionSeconds) : dedupeTtlSeconds;
    const body = await deps.bodies.load(envelope.body);
    // The first claim's context, not this envelope's: a redelivery must map to the very same bytes.
    const delivery = claim.firstDelivery ?? deliveryContext(envelope);
    const mapping: MappingResult = mapEvent({
      sourceId: envelope.sourceId,
      provider: envelope.provider,
      eventType: envelope.eventType,
      providerEventId: envelope.providerEventId,
      dedupeKey: envelope.dedupeKey,
      occurredAt: delivery.occurredAt,
      receivedAt: delivery.receivedAt,
      headers: delivery.headers,
      body,
      json: parseJsonBody(body),
    });
    if (mapping.kind === 'unmapped') {
      metrics.record('UnmappedEventType', dims);
      logger.info('Event type not mapped; acknowledged', {
        dedupeKey: envelope.dedupeKey,
        eventType: envelope.eventType,
        reason: mapping.reason,
      });
      await deps.dedupe.markCompleted(claim, now(), ttlSeconds);
      return 'unmapped';
    }
    // Writes per event: the claim, then per operation before the last one its applied record (and for a
    // guarded upsert the guard's acquire and commit), then the completion, which also records the last
    // operation and settles its entity lock (one write for both: if it is lost, the event is retried and
    // the last operation is sent again under its Idempotency-Key, exactly as when its applied record was
    // lost before). An unguarded single operation: 2 writes; a guarded upsert: 3.
    const applied = new Set(claim.appliedOperations);
    const pending = mapping.operations
      .map((op) => ({ op, idempotencyKey: operationIdempotencyKey(envelope.dedupeKey, op.name) }))
      .filter(({ idempotencyKey }) => {
        if (applied.has(idempotencyKey)) return false;
        applied.add(idempotencyKey); // An operation name repeated within the event is applied once.
        return true;
      });
    for (const [index, { op, idempotencyKey }] of pending.entries()) {
      const lastOperation = index === pending.length - 1;
      await applyOperation(envelope, op, idempotencyKey, dims, remainingMs, lastOperation, cdpTime);
      if (!lastOperation) await deps.dedupe.recordApplied(claim, idempotencyKey, now());
    }
    await deps.dedupe.markCompleted(claim, now(), ttlSeconds, pending.at(-1)?.idempotencyKey);
    // The event's one line on the success path (the runbook's by-key and by-source queries read it), and
    // the `Processed` and `CdpLatency` metrics (metric filters: lambdas/shared/log-metrics.ts).
    logger.info(LOG_MESSAGES.eventProcessed, {
      [LOG_FIELDS.source]: envelope.sourceId,
      dedupeKey: envelope.dedupeKey,
      eventType: envelope.eventType,
      ...(claim.attempts > 1 ? { attempt: claim.attempts } : {}),
      ...cdpTimeField(cdpTime),
    });
    return 'processed';
  }

  /** A completed event's claim-checked body is no longer needed; the bucket's lifecycle is the fallback. */
  async function discardBody(body: EnvelopeBody): Promise<void> {
    await deps.bodies.discard(body).catch((error: unknown) =>
      logger.warn('Could not delete the claim-checked body; the bucket lifecycle expires it', {
        error: String(error),
      }),
    );
  }

  async function deadLetter(
    record: SQSRecord,
    failure: Classified,
    attempts: number,
    body: EnvelopeBody | undefined,
  ): Promise<void> {
    const failureAttributes: Record<string, OutgoingAttribute> = {
      [FAILURE_ATTRIBUTES.failureClass]: { DataType: 'String', StringValue: failure.failureClass },
      [FAILURE_ATTRIBUTES.failureMessage]: {
        DataType: 'String',
        StringValue: failure.message.slice(0, 256) || failure.failureClass,
      },
      [FAILURE_ATTRIBUTES.attempts]: { DataType: 'Number', StringValue: String(attempts) },
      [FAILURE_ATTRIBUTES.failedAt]: { DataType: 'String', StringValue: new Date(now()).toISOString() },
      [FAILURE_ATTRIBUTES.failedBy]: { DataType: 'String', StringValue: 'processor' },
      ...(failure.status !== undefined
        ? { [FAILURE_ATTRIBUTES.failureStatus]: { DataType: 'Number', StringValue: String(failure.status) } }
        : {}),
    };
    // The reason must survive SQS's 10-attribute limit; original attributes fill the remaining slots.
    const attributes: Record<string, OutgoingAttribute> = { ...failureAttributes };
    for (const [name, value] of Object.entries(outgoingAttributes(record))) {
      if (Object.keys(attributes).length >= MAX_MESSAGE_ATTRIBUTES) break;
      if (!(name in attributes)) attributes[name] = value;
    }
    // The DLQ message starts a new retention clock: the body's must restart too, or it could expire first.
    if (body) await deps.bodies.retain(body);
    await deps.queue.sendToDlq(record.body, attributes);
  }

  /** A message the ingest itself dead-lettered as unusable carries its class; throws to send it back. */
  function refuseUnusable(record: SQSRecord): void {
    const attributes = record.messageAttributes ?? {};
    if (attributes[FAILURE_ATTRIBUTES.failureClass]?.stringValue !== 'unusable_payload') return;
    const reason = attributes[FAILURE_ATTRIBUTES.failureMessage]?.stringValue;
    throw new UnusablePayloadError(reason ?? 'The ingest found no usable event in this delivery');
  }

  async function processRecord(record: SQSRecord, remainingMs: RemainingTime): Promise<RecordOutcome> {
    const receiveCount = Math.max(1, Number(record.attributes?.ApproximateReceiveCount) || 1);
    let dims: MetricDimensions = { source: 'unknown' };
    let claim: Claim | undefined;
    let envelope: QueueEnvelope | undefined;
    const cdpTime: CdpTime = { ms: 0, calls: 0 };
    try {
      envelope = parseEnvelope(record.body);
      dims = { source: envelope.sourceId };
      refuseUnusable(record);
      const source = deps.sources.get(envelope.sourceId);
      if (!source) {
        // Verified at ingest; a source removed from the configuration since still gets its events applied.
        logger.warn('Event from a source not in PIPELINE_SOURCES; using defaults', {
          sourceId: envelope.sourceId,
        });
      }
      const dedupeTtlSeconds = Math.round((source?.dedupeTtlHours ?? DEFAULT_DEDUPE_TTL_HOURS) * 3600);
      const nowMs = now();
      const claimed = await deps.dedupe.claim({
        dedupeKey: envelope.dedupeKey,
        nowMs,
        leaseMs: Math.max(1000, remainingMs()),
        ttlSeconds: incompleteRetentionSeconds,
        delivery: deliveryContext(envelope),
      });
      if (claimed.outcome === 'completed') {
        // The `DuplicateSkipped` metric (a metric filter: lambdas/shared/log-metrics.ts).
        logger.info(LOG_MESSAGES.duplicateAcknowledged, {
          [LOG_FIELDS.source]: envelope.sourceId,
          dedupeKey: envelope.dedupeKey,
          eventType: envelope.eventType,
          messageId: record.messageId,
        });
        await discardBody(envelope.body);
        return 'duplicate';
      }
      if (claimed.outcome === 'in_progress') {
        throw new RetryLaterError(
          'Another delivery of this event is in progress',
          'in_progress',
          claimed.leaseExpiresAtMs - nowMs,
        );
      }
      claim = claimed.claim;
      if (claim.tookOver) {
        logger.info('Took over an expired claim; resuming', {
          dedupeKey: envelope.dedupeKey,
          appliedOperations: claim.appliedOperations.length,
          attempts: claim.attempts,
        });
      }
      // A message created without restarting its body's clock (SQS's own redrive task) restarts it now.
      const sentAt = Number(record.attributes?.SentTimestamp);
      if (Number.isFinite(sentAt)) await deps.bodies.retain(envelope.body, { messageSentAtMs: sentAt });
      const outcome = await processClaimed(envelope, claim, dedupeTtlSeconds, dims, remainingMs, cdpTime);
      await discardBody(envelope.body);
      return outcome;
    } catch (error) {
      const failure = classifyError(error);
      // Every failure writes exactly one line with this context (retry, final attempt, dead-lettered or
      // not dead-lettered): with `cdpMs`, that line is the attempt's `CdpLatency` point.
      const logContext = {
        [LOG_FIELDS.source]: envelope?.sourceId,
        dedupeKey: envelope?.dedupeKey,
        // Not a metric dimension (unbounded); Logs Insights slices failures by it.
        eventType: envelope?.eventType,
        messageId: record.messageId,
        failureClass: failure.failureClass,
        status: failure.status,
        attempt: receiveCount,
        error: failure.message,
        ...(failure.cdpWrite ? { cdpWrite: failure.cdpWrite } : {}),
        ...cdpTimeField(cdpTime),
      };
      if (claim) {
        await deps.dedupe
          .release(claim, now(), `${failure.failureClass}: ${failure.message}`)
          .catch((releaseError: unknown) =>
            logger.warn('Could not release the claim; it will expire', { error: String(releaseError) }),
          );
      }
      // Waiting for a concurrent delivery of the same event or entity is contention, not failure: it is
      // counted apart so failure alarms stay meaningful during bursts.
      const contention = failure.failureClass === 'in_progress' || failure.failureClass === 'entity_busy';
      metrics.record(contention ? 'Deferred' : 'Failed', { ...dims, class: failure.failureClass });
      if (!failure.retryable) {
        try {
          await deadLetter(record, failure, receiveCount, envelope?.body);
        } catch (dlqError) {
          logger.error('Could not dead-letter a permanently failed event; retrying it', {
            ...logContext,
            dlqError: String(dlqError),
          });
          throw new RetryLaterError(failure.message, 'dlq_unavailable');
        }
        metrics.record('DeadLettered', { ...dims, class: failure.failureClass });
        logger.error('Event dead-lettered', logContext);
        return 'dead_lettered';
      }
      const delaySeconds = retryDelaySeconds({
        receiveCount,
        random: random(),
        policy: backoff,
        ...(failure.floorMs !== undefined ? { floorMs: failure.floorMs } : {}),
      });
      try {
        await deps.queue.changeVisibility(record.eventSourceARN, record.receiptHandle, delaySeconds);
      } catch (visibilityError) {
        logger.warn('Could not change the message visibility; default visibility applies', {
          error: String(visibilityError),
        });
      }
      const level = receiveCount >= maxReceiveCount ? 'error' : 'warn';
      logger[level](
        receiveCount >= maxReceiveCount
          ? 'Event failed on its final attempt; SQS moves it to the DLQ'
          : 'Event failed; retrying later',
        { ...logContext, retryInSeconds: delaySeconds },
      );
      throw error instanceof RetryLaterError
        ? error
        : new RetryLaterError(failure.message, failure.failureClass);
    }
  }

  return {
    processRecord,
    async handleBatch(event, context) {
      const batch = new BatchProcessor(EventType.SQS);
      return processPartialResponse(
        event,
        (record: SQSRecord) => processRecord(record, () => context.getRemainingTimeInMillis()),
        batch,
        // A batch where every record failed is still a normal answer: the per-message visibility delays
        // are already set, and an invocation error would only add noise (and retry the whole batch).
        { throwOnFullBatchFailure: false },
      );
    },
  };
}
