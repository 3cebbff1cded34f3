/**
 * Out-of-order guard for profile upserts: per CDP entity (source, object, match key value) the event time
 * of the newest update applied, so an older update delivered later never overwrites newer state.
 *
 * Order of writes, and why: lock the entity → upsert in the CDP → record the event time (and unlock).
 * - Advancing the time only AFTER a successful upsert means a crash, timeout or permanent failure can
 *   never leave the guard claiming state the CDP does not have (which would make every older-but-still-
 *   newer-than-the-CDP update be skipped, losing state).
 * - The short per-entity lock (bounded by the invocation's remaining time, like the dedupe lease) closes
 *   the race of "check, then write": without it an older update could pass the check, stall, and land in
 *   the CDP after a newer one. With it, a concurrent update of the same entity waits or is retried later.
 * - A crash after the upsert but before the time is recorded leaves the lock to expire; the retry finds
 *   the old time, upserts again with the same Idempotency-Key (the CDP replays, no second effect) and
 *   records it. If a newer update was applied meanwhile, the retry is simply skipped as stale.
 * Equal event times are let through (providers such as Stripe stamp events in whole seconds).
 */
import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { KEY_PREFIX, STATE_TABLE } from '../shared/schema';
import { isConditionFailure } from './dedupe-store';

/**
 * Retention of an entity's last-applied time. Longer than any way an old event can still arrive: provider
 * retry windows (up to 30 days for Adyen), queue retention (4 days) plus DLQ retention and a redrive (14 days).
 */
export const ENTITY_GUARD_TTL_SECONDS = 35 * 24 * 3600;

export interface EntityRef {
  readonly sourceId: string;
  readonly object: string;
  readonly matchKeyValue: string;
  /** Narrower scope within the entity (e.g. one property for field-level change events). */
  readonly scope?: string;
}

export interface AcquireInput {
  readonly entity: EntityRef;
  /** Lock owner: the operation's idempotency key. */
  readonly owner: string;
  /** The event's own time (provider's), epoch ms. */
  readonly eventTimeMs: number;
  readonly nowMs: number;
  readonly lockMs: number;
}

export interface EntityLock {
  readonly pk: string;
  readonly owner: string;
  readonly lockExpiresAtMs: number;
  readonly eventTimeMs: number;
}

export type AcquireResult =
  | { readonly outcome: 'acquired'; readonly lock: EntityLock }
  /** A newer update of the entity was applied already: skip this one. */
  | { readonly outcome: 'stale'; readonly lastAppliedAtMs: number }
  /** Another update of the entity is being applied right now. */
  | { readonly outcome: 'busy'; readonly lockExpiresAtMs: number };

export interface EntityGuard {
  acquire(input: AcquireInput): Promise<AcquireResult>;
  /** Records the applied event time and unlocks. Throws `EntityLockLostError` when the lock is gone. */
  commit(lock: EntityLock, eventKey: string, nowMs: number): Promise<void>;
  /** Unlocks without recording anything (the upsert failed). Never throws on a lost lock. */
  release(lock: EntityLock): Promise<void>;
}

/** The entity lock expired and another update took it: retry this event later. */
export class EntityLockLostError extends Error {
  override readonly name = 'EntityLockLostError';
}

/** `ent#<sourceId>#<object>#<value>[#<scope>]`; long values are hashed to stay well inside the key limit. */
export function entityItemKey(entity: EntityRef): string {
  const raw = [
    entity.sourceId,
    entity.object,
    entity.matchKeyValue,
    ...(entity.scope ? [entity.scope] : []),
  ].join('#');
  const body = raw.length <= 512 ? raw : `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  return `${KEY_PREFIX.entity}${body}`;
}

const PK = STATE_TABLE.partitionKey;
const TTL = STATE_TABLE.ttlAttribute;

interface GuardItem {
  readonly lastAppliedAtMs?: number;
  readonly lockExpiresAtMs?: number;
  readonly lockedBy?: string;
  readonly expiresAt?: number;
}

/** {@link EntityGuard} on the single state table. */
export class DynamoEntityGuard implements EntityGuard {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly ttlSeconds = ENTITY_GUARD_TTL_SECONDS,
  ) {}

  async acquire(input: AcquireInput): Promise<AcquireResult> {
    const pk = entityItemKey(input.entity);
    const nowSec = Math.floor(input.nowMs / 1000);
    const lockExpiresAtMs = input.nowMs + Math.max(1, Math.floor(input.lockMs));
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: pk },
          UpdateExpression: 'SET lockedBy = :owner, lockExpiresAtMs = :lock, #ttl = :expiresAt',
          ConditionExpression:
            'attribute_not_exists(#pk) OR #ttl <= :nowSec OR ' +
            '((attribute_not_exists(lastAppliedAtMs) OR lastAppliedAtMs <= :eventTime) AND ' +
            '(attribute_not_exists(lockExpiresAtMs) OR lockExpiresAtMs <= :nowMs OR lockedBy = :owner))',
          ExpressionAttributeNames: { '#pk': PK, '#ttl': TTL },
          ExpressionAttributeValues: {
            ':owner': input.owner,
            ':lock': lockExpiresAtMs,
            ':expiresAt': nowSec + this.ttlSeconds,
            ':nowSec': nowSec,
            ':nowMs': input.nowMs,
            ':eventTime': input.eventTimeMs,
          },
        }),
      );
      return {
        outcome: 'acquired',
        lock: { pk, owner: input.owner, lockExpiresAtMs, eventTimeMs: input.eventTimeMs },
      };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { [PK]: pk }, ConsistentRead: true }),
    );
    const item = (result.Item ?? {}) as GuardItem;
    if (item.lastAppliedAtMs !== undefined && item.lastAppliedAtMs > input.eventTimeMs) {
      return { outcome: 'stale', lastAppliedAtMs: item.lastAppliedAtMs };
    }
    return { outcome: 'busy', lockExpiresAtMs: item.lockExpiresAtMs ?? input.nowMs };
  }

  async commit(lock: EntityLock, eventKey: string, nowMs: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: lock.pk },
          UpdateExpression:
            'SET lastAppliedAtMs = :eventTime, lastEventKey = :eventKey, appliedAt = :now, #ttl = :expiresAt ' +
            'REMOVE lockedBy, lockExpiresAtMs',
          ConditionExpression: 'lockedBy = :owner AND lockExpiresAtMs = :lock',
          ExpressionAttributeNames: { '#ttl': TTL },
          ExpressionAttributeValues: {
            ':eventTime': lock.eventTimeMs,
            ':eventKey': eventKey,
            ':now': new Date(nowMs).toISOString(),
            ':expiresAt': Math.floor(nowMs / 1000) + this.ttlSeconds,
            ':owner': lock.owner,
            ':lock': lock.lockExpiresAtMs,
          },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new EntityLockLostError(`Lost the entity lock on ${lock.pk}`);
      throw error;
    }
  }

  async release(lock: EntityLock): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: lock.pk },
          UpdateExpression: 'REMOVE lockedBy, lockExpiresAtMs',
          ConditionExpression: 'lockedBy = :owner AND lockExpiresAtMs = :lock',
          ExpressionAttributeValues: { ':owner': lock.owner, ':lock': lock.lockExpiresAtMs },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
