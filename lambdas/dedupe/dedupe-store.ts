/**
 * Exactly-once-in-effect bookkeeping per event, on DynamoDB conditional writes (the same semantics as
 * Powertools idempotency: claim with an in-progress lease, then completed with an expiry), plus the list
 * of CDP operations already applied so a half-done event resumes where it stopped.
 *
 * Every condition treats an item whose `expiresAt` has passed as absent: DynamoDB's TTL deletes lazily
 * (up to ~48 h late), so an expired-but-undeleted record must never suppress a legitimate new delivery.
 *
 * Retention: an event that is not completed may still be carried by a message (retrying on the main queue,
 * sitting in the DLQ, redriven by `SendMessage`, which starts a new retention clock), and without its record
 * a redrive would apply again the operations it already applied (the CDP forgets Idempotency-Keys after
 * its own retention, often 24 h). So every write to a record that is not completed (claim, takeover,
 * operation applied, release, dead-letter) renews `expiresAt` to the claim's `ttlSeconds`, which the
 * processor sets to main-queue retention + DLQ retention + a margin ({@link incompleteRecordRetentionSeconds}):
 * whichever message carries the event next, it arrives while the record still exists, and its own
 * processing renews it again. Only completion shortens it (to the source's `dedupeTtlHours`).
 *
 * Same key, same payload: the first delivery to claim an event pins its delivery context (`firstDelivery`:
 * received time, occurred time, the headers mappings read). A provider's redelivery of the same event comes
 * in a new envelope with a new `receivedAt`; mapping it from the pinned context keeps every retry of an
 * operation byte-identical under its Idempotency-Key.
 *
 * Writes per event (issue 17): the claim (PutItem), one applied record per operation before the last
 * (`recordApplied`), and the completion, which also records the last operation (`markCompleted`'s
 * `lastOperationKey`): 2 for a single operation. Folding the last applied record into the completion keeps
 * the promise because exactly one write follows the last CDP call either way: if it is lost, the event is
 * not completed and its retry (or redrive, while the record lives) sends that one operation again under
 * the same Idempotency-Key, the same exposure as a lost applied record before. The entity guard's lock of
 * a guarded last upsert ends with this completion too (see entity-guard.ts), so a guarded upsert is 3.
 *
 * Fencing: the claim's `leaseExpiresAtMs` doubles as the claim token. A takeover only happens after the
 * old lease passed, and sets a later one, so two claims can never hold the same value; every later write
 * is conditional on it, so a delivery that lost its lease cannot complete or release someone else's claim.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type DedupeRecord, type DeliveryContext, KEY_PREFIX, STATE_TABLE } from '../shared/schema';

/** Slack on top of the queues' retentions: clock skew, processing time, a redrive started at the last minute. */
export const INCOMPLETE_RECORD_MARGIN_SECONDS = 24 * 3600;

/**
 * How long a record that is not completed must live after each write: longer than any message that can
 * carry its event can still be delivered. A message on the main queue is received within the main queue's
 * retention; one in the DLQ is redriven within the DLQ's; every receive writes the record again.
 */
export function incompleteRecordRetentionSeconds(retentions: {
  readonly queueRetentionSeconds: number;
  readonly dlqRetentionSeconds: number;
}): number {
  return retentions.queueRetentionSeconds + retentions.dlqRetentionSeconds + INCOMPLETE_RECORD_MARGIN_SECONDS;
}

/** A claim held by this delivery. */
export interface Claim {
  readonly dedupeKey: string;
  /** The fencing token (see module doc). */
  readonly leaseExpiresAtMs: number;
  /** Operations (by idempotency key) applied by earlier attempts. */
  readonly appliedOperations: readonly string[];
  /** Attempts including this one. */
  readonly attempts: number;
  /** True when this claim took over an expired lease of an earlier attempt. */
  readonly tookOver: boolean;
  /**
   * Retention renewed by every write while the event is not completed, seconds (see module doc). Always set
   * by `claim`; optional only so hand-built claims of tests need not repeat it.
   */
  readonly ttlSeconds?: number;
  /** The delivery context pinned by the first claim (absent on records written before it was pinned). */
  readonly firstDelivery?: DeliveryContext;
}

export type ClaimResult =
  | { readonly outcome: 'claimed'; readonly claim: Claim }
  /** Completed earlier and not expired: acknowledge without doing anything. */
  | { readonly outcome: 'completed'; readonly completedAt: string | undefined }
  /** Another delivery holds a live lease: retry after it ends. */
  | { readonly outcome: 'in_progress'; readonly leaseExpiresAtMs: number };

export interface ClaimInput {
  readonly dedupeKey: string;
  readonly nowMs: number;
  /** Lease length; bounded by the invocation's remaining time so a timed-out attempt frees it. */
  readonly leaseMs: number;
  /**
   * Retention of the record while the event is not completed, seconds; every write before completion renews
   * it (see module doc). The completed marker gets its own retention in `markCompleted`.
   */
  readonly ttlSeconds: number;
  /** This delivery's context, pinned when the claim creates the record. */
  readonly delivery?: DeliveryContext;
}

/** The dedupe store the processor needs; an interface so a test can wrap it (e.g. to inject a crash). */
export interface DedupeStore {
  claim(input: ClaimInput): Promise<ClaimResult>;
  /** Records one applied operation. Throws `LeaseLostError` when the claim is no longer ours. */
  recordApplied(claim: Claim, operationKey: string, nowMs: number): Promise<void>;
  /**
   * Marks the event completed with its retention, recording `lastOperationKey` (the operation applied just
   * before, if any) in the same write. Throws `LeaseLostError` when the claim is no longer ours.
   */
  markCompleted(claim: Claim, nowMs: number, ttlSeconds: number, lastOperationKey?: string): Promise<void>;
  /**
   * Gives the claim up after a failure so the next delivery can proceed at once (its visibility delay
   * already spaces it out), keeping `appliedOperations` and noting `lastError`. Never throws on a lost lease.
   */
  release(claim: Claim, nowMs: number, lastError: string): Promise<void>;
  /** The stored record, for inspection (CLI, tests). */
  get(dedupeKey: string): Promise<DedupeRecord | undefined>;
}

/** The claim is no longer ours (it expired and another delivery took over): retry later. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/** The state table key of an event's dedupe record. */
export function dedupeItemKey(dedupeKey: string): string {
  return `${KEY_PREFIX.event}${dedupeKey}`;
}

const TTL = STATE_TABLE.ttlAttribute;
const PK = STATE_TABLE.partitionKey;

/** True for DynamoDB's "condition not met" (also when the error crossed a module boundary by name only). */
export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException'
  );
}

/** {@link DedupeStore} on the single state table (see `lambdas/shared/schema.ts`). */
export class DynamoDedupeStore implements DedupeStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(input: ClaimInput, retried = false): Promise<ClaimResult> {
    const pk = dedupeItemKey(input.dedupeKey);
    const nowIso = new Date(input.nowMs).toISOString();
    const leaseExpiresAtMs = input.nowMs + Math.max(1, Math.floor(input.leaseMs));
    const fresh: DedupeRecord = {
      pk,
      status: 'IN_PROGRESS',
      leaseExpiresAtMs,
      expiresAt: Math.floor(input.nowMs / 1000) + input.ttlSeconds,
      attempts: 1,
      firstSeenAt: nowIso,
      updatedAt: nowIso,
      appliedOperations: [],
      ...(input.delivery ? { firstDelivery: input.delivery } : {}),
    };
    try {
      // First sight of the event, or the old record is past its retention: start from scratch.
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...fresh, [PK]: pk },
          ConditionExpression: 'attribute_not_exists(#pk) OR #ttl <= :nowSec',
          ExpressionAttributeNames: { '#pk': PK, '#ttl': TTL },
          ExpressionAttributeValues: { ':nowSec': Math.floor(input.nowMs / 1000) },
        }),
      );
      return {
        outcome: 'claimed',
        claim: {
          dedupeKey: input.dedupeKey,
          leaseExpiresAtMs,
          appliedOperations: [],
          attempts: 1,
          tookOver: false,
          ttlSeconds: input.ttlSeconds,
          ...(input.delivery ? { firstDelivery: input.delivery } : {}),
        },
      };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }

    const existing = await this.get(input.dedupeKey);
    if (!existing) {
      // Deleted between the two calls (TTL sweep): start again from the top. A second miss in a row would
      // need another delete in between; report it as in progress so the message is simply retried.
      if (retried) return { outcome: 'in_progress', leaseExpiresAtMs: input.nowMs };
      return this.claim(input, true);
    }
    if (existing.status === 'COMPLETED') return { outcome: 'completed', completedAt: existing.completedAt };
    const oldLease = existing.leaseExpiresAtMs ?? 0;
    if (oldLease > input.nowMs) return { outcome: 'in_progress', leaseExpiresAtMs: oldLease };

    // An earlier attempt crashed, timed out or released its claim: take over, keeping its progress.
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: pk },
          UpdateExpression:
            'SET leaseExpiresAtMs = :lease, updatedAt = :now, attempts = if_not_exists(attempts, :zero) + :one, ' +
            '#ttl = :expiresAt',
          ConditionExpression:
            '#status = :inProgress AND (attribute_not_exists(leaseExpiresAtMs) OR leaseExpiresAtMs = :oldLease) AND #ttl > :nowSec',
          ExpressionAttributeNames: { '#status': 'status', '#ttl': TTL },
          ExpressionAttributeValues: {
            ':lease': leaseExpiresAtMs,
            ':now': nowIso,
            ':zero': 0,
            ':one': 1,
            ':inProgress': 'IN_PROGRESS',
            ':oldLease': oldLease,
            ':nowSec': Math.floor(input.nowMs / 1000),
            ':expiresAt': Math.floor(input.nowMs / 1000) + input.ttlSeconds,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const record = result.Attributes as DedupeRecord | undefined;
      return {
        outcome: 'claimed',
        claim: {
          dedupeKey: input.dedupeKey,
          leaseExpiresAtMs,
          appliedOperations: record?.appliedOperations ?? [],
          attempts: record?.attempts ?? 1,
          tookOver: true,
          ttlSeconds: input.ttlSeconds,
          ...(record?.firstDelivery ? { firstDelivery: record.firstDelivery } : {}),
        },
      };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Someone else took over or completed it in between: look again and report what they did.
      const now = await this.get(input.dedupeKey);
      if (now?.status === 'COMPLETED') return { outcome: 'completed', completedAt: now.completedAt };
      return { outcome: 'in_progress', leaseExpiresAtMs: now?.leaseExpiresAtMs ?? input.nowMs };
    }
  }

  /**
   * Applies `update` only while `claim` is still ours: the item is in progress under the very lease we
   * took (the fence every write after the claim uses). False when the fence refused it. Unless the update
   * sets the retention itself (completion), it renews the record's retention (see module doc).
   */
  private async updateUnderLease(
    claim: Claim,
    update: {
      readonly expression: string;
      readonly names?: Record<string, string>;
      readonly values: Record<string, unknown>;
      /** Renew the record's retention from this time (every write while not completed). */
      readonly renewFromMs?: number;
    },
  ): Promise<boolean> {
    const renew = update.renewFromMs !== undefined && claim.ttlSeconds !== undefined;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: dedupeItemKey(claim.dedupeKey) },
          UpdateExpression: renew ? `${update.expression}, #ttl = :renewedExpiresAt` : update.expression,
          ConditionExpression: '#status = :inProgress AND leaseExpiresAtMs = :lease',
          ExpressionAttributeNames: {
            '#status': 'status',
            ...update.names,
            ...(renew ? { '#ttl': TTL } : {}),
          },
          ExpressionAttributeValues: {
            ...update.values,
            ':inProgress': 'IN_PROGRESS',
            ':lease': claim.leaseExpiresAtMs,
            ...(renew
              ? {
                  ':renewedExpiresAt': Math.floor((update.renewFromMs ?? 0) / 1000) + (claim.ttlSeconds ?? 0),
                }
              : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async recordApplied(claim: Claim, operationKey: string, nowMs: number): Promise<void> {
    const recorded = await this.updateUnderLease(claim, {
      expression:
        'SET appliedOperations = list_append(if_not_exists(appliedOperations, :empty), :op), updatedAt = :now',
      values: { ':empty': [], ':op': [operationKey], ':now': new Date(nowMs).toISOString() },
      renewFromMs: nowMs,
    });
    if (!recorded) throw new LeaseLostError(`Lost the claim on ${claim.dedupeKey}`);
  }

  async markCompleted(
    claim: Claim,
    nowMs: number,
    ttlSeconds: number,
    lastOperationKey?: string,
  ): Promise<void> {
    // The last operation's applied record rides on the completion (one write, not two): once completed, the
    // event is never applied again, and if this write is lost the retry sends that operation again under
    // its Idempotency-Key, as it would have if a separate applied record had been lost.
    const recordLast = lastOperationKey !== undefined;
    const completed = await this.updateUnderLease(claim, {
      expression:
        'SET #status = :completed, completedAt = :now, updatedAt = :now, #ttl = :expiresAt' +
        (recordLast
          ? ', appliedOperations = list_append(if_not_exists(appliedOperations, :empty), :op)'
          : '') +
        ' REMOVE leaseExpiresAtMs, lastError',
      names: { '#ttl': TTL },
      values: {
        ':completed': 'COMPLETED',
        ':now': new Date(nowMs).toISOString(),
        ':expiresAt': Math.floor(nowMs / 1000) + ttlSeconds,
        ...(recordLast ? { ':empty': [], ':op': [lastOperationKey] } : {}),
      },
    });
    if (completed) return;
    const current = await this.get(claim.dedupeKey);
    // A delivery that took over our expired lease finished the job: the outcome is what we wanted.
    if (current?.status === 'COMPLETED') return;
    throw new LeaseLostError(`Lost the claim on ${claim.dedupeKey}`);
  }

  async release(claim: Claim, nowMs: number, lastError: string): Promise<void> {
    // A lease in the past (not a removed one) keeps the fencing rule simple: takeover compares values.
    // Refused by the fence means someone else holds the event now: nothing of ours left to release.
    await this.updateUnderLease(claim, {
      expression: 'SET leaseExpiresAtMs = :released, lastError = :error, updatedAt = :now',
      values: {
        ':released': nowMs,
        ':error': lastError.slice(0, 512),
        ':now': new Date(nowMs).toISOString(),
      },
      renewFromMs: nowMs,
    });
  }

  async get(dedupeKey: string): Promise<DedupeRecord | undefined> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [PK]: dedupeItemKey(dedupeKey) },
        ConsistentRead: true,
      }),
    );
    return result.Item as DedupeRecord | undefined;
  }
}
