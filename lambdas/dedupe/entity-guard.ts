/**
 * Out-of-order guard for profile upserts: per CDP entity (source, object, match key value) the event time
 * of the newest update that reached the CDP, or may have, so an older update delivered later never
 * overwrites newer state.
 *
 * The invariant: for any interleaving of timeouts, crashes, retries and redrives, the CDP's final state of
 * an entity is the state of the newest event applied to it. The hard part is the ambiguous write: a
 * timeout, a broken connection, a 5xx after the request was sent or a crash may hide a write that landed.
 * Treating it as "not applied" loses updates: newer A lands but its answer is lost, older B is then let
 * through and applied, A's retry is replayed by the CDP (same Idempotency-Key, no effect) and the entity
 * ends on B. So the guard keeps a write-ahead intent and treats every ambiguous outcome as maybe applied.
 *
 * The item: `lastAppliedAtMs` (L) and, while an update runs or after it was applied without a commit, its
 * lock (`lockedBy`, the operation's idempotency key; `lockExpiresAtMs`; `lockEvent`, the event's dedupe key)
 * and its intent `pendingAtMs` (P, its event time), written together before the CDP call. The newest event
 * time that is applied or maybe applied is max(L, P): P >= L whenever present (acquire requires it).
 * - acquire: an event of time t passes when t >= L and t >= P, and the lock is expired, its own (an earlier
 *   attempt of the same operation) or ended (its `lockEvent` is completed: see below). It writes its own
 *   lock and P = t in one conditional write and remembers max(L, P) of before (`restoreLastAppliedAtMs`):
 *   the old intent is "maybe applied" and must survive this holder's release. Equal times pass: providers
 *   such as Stripe stamp events in whole seconds, and the retry of the very event that is maybe applied must
 *   get through (its Idempotency-Key makes the repeat harmless). A live lock of another owner whose event is
 *   not completed is busy, never stale: the holder may still fail definitively and roll back.
 * - settled by completion (the CDP answered 2xx, and the upsert is the event's last operation): no guard
 *   write at all. The lock and P stay; the very next write of the event is its completion (dedupe store),
 *   and a lock whose event is completed has ended: a waiting update reads the event record (one consistent
 *   GetItem) and takes the lock over, counting P as applied. Completion is only written after every
 *   operation of the event was applied (2xx) or skipped as stale, so "event completed" implies "its intent
 *   was applied". If the completion is lost (crash, lease lost), the lock simply expires and P counts as
 *   maybe applied, exactly as after a crash. This saves the commit write of a guarded upsert: claim +
 *   acquire + completion = 3 writes per event.
 * - commit (the CDP answered 2xx and more operations of the event follow): L = t, lock and intent removed,
 *   so the entity is free while the rest of the event runs.
 * - release (the CDP certainly did not apply it: any 4xx including 422 and 429, or a failure before the
 *   request left): lock and intent removed, L = the remembered max(L, P) of before this acquire, so an older
 *   update may still apply unless an earlier intent may have landed.
 * - markMaybeApplied (ambiguous outcome): L = t, intent removed, and the lock kept by this event's owner
 *   for a short quarantine ({@link AMBIGUOUS_QUARANTINE_MS}). An older update is refused from now on; the
 *   retry of this event (same owner, same time, same key) passes at once; a newer one waits out the
 *   quarantine, then applies and makes this event's retry stale. The quarantine is there because a request
 *   we stopped waiting for may still be applied by the CDP a little later: a newer write let through at
 *   once could land before it and be overwritten by it.
 * - a crash between the CDP write and commit (or completion) leaves lock and intent; after the lock expires
 *   the intent counts as maybe applied (see acquire), with the same consequences.
 *
 * Consequence to know: once an update is maybe applied, older updates of the entity are skipped as stale.
 * If that update then ends in the DLQ without ever being confirmed (a 422 on its retry, or its retries run
 * out), the CDP keeps whatever state it had before: the entity is settled by redriving the dead-lettered
 * event (or by any newer event), never by an older one. That is the price of never moving an entity
 * backwards.
 *
 * The lock (bounded by the invocation's remaining time, like the dedupe lease) closes the race of "check,
 * then write": without it an older update could pass the check, stall, and land after a newer one.
 */
import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { KEY_PREFIX, STATE_TABLE } from '../shared/schema';
import { dedupeItemKey, isConditionFailure } from './dedupe-store';

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
  /**
   * The event's dedupe key: once that event is completed, its lock has ended (see the module doc). Without
   * it the lock only ends by commit, release or expiry.
   */
  readonly eventKey?: string;
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
  /** max(L, P) before this lock was taken: what `release` restores (absent: the entity had no times). */
  readonly restoreLastAppliedAtMs?: number;
}

export type AcquireResult =
  | { readonly outcome: 'acquired'; readonly lock: EntityLock }
  /** A newer update of the entity was applied already: skip this one. */
  | { readonly outcome: 'stale'; readonly lastAppliedAtMs: number }
  /** Another update of the entity is being applied right now. */
  | { readonly outcome: 'busy'; readonly lockExpiresAtMs: number };

export interface EntityGuard {
  /** Locks the entity and records the intent to write `eventTimeMs` (see the module doc). */
  acquire(input: AcquireInput): Promise<AcquireResult>;
  /** Records the applied event time and unlocks. Throws `EntityLockLostError` when the lock is gone. */
  commit(lock: EntityLock, eventKey: string, nowMs: number): Promise<void>;
  /**
   * The CDP certainly did not apply the upsert: unlocks and drops the intent, the last applied time stays.
   * Never throws on a lost lock.
   */
  release(lock: EntityLock): Promise<void>;
  /**
   * The outcome is ambiguous (timeout, network error, 5xx): records the event time as maybe applied and
   * keeps the lock for this event's owner through a short quarantine (see the module doc). Never throws on a
   * lost lock (whoever took it over counted the intent already).
   */
  markMaybeApplied(lock: EntityLock, eventKey: string, nowMs: number): Promise<void>;
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
  readonly pendingAtMs?: number;
  readonly lockExpiresAtMs?: number;
  readonly lockedBy?: string;
  readonly lockEvent?: string;
  readonly expiresAt?: number;
}

/** max(L, P) of an item: the newest time applied or maybe applied (undefined when it has neither). */
function newestTime(item: GuardItem | undefined): number | undefined {
  const times = [item?.lastAppliedAtMs, item?.pendingAtMs].filter((t): t is number => t !== undefined);
  return times.length > 0 ? Math.max(...times) : undefined;
}

/**
 * How long an entity stays locked after an ambiguous write, for anything but that event's own retry: time
 * for a request we gave up on to be applied or dropped by the CDP (load balancers commonly give up on a
 * request after 30-60 s). Past it, only the CDP itself could fence a late write (conditional writes).
 */
export const AMBIGUOUS_QUARANTINE_MS = 30_000;

/** Rounds of "conditional write refused, read, decide" before reporting busy (each one means contention). */
const ACQUIRE_ROUNDS = 3;

/** {@link EntityGuard} on the single state table. */
export class DynamoEntityGuard implements EntityGuard {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly ttlSeconds = ENTITY_GUARD_TTL_SECONDS,
    private readonly quarantineMs = AMBIGUOUS_QUARANTINE_MS,
  ) {}

  async acquire(input: AcquireInput): Promise<AcquireResult> {
    const pk = entityItemKey(input.entity);
    const nowSec = Math.floor(input.nowMs / 1000);
    const lockExpiresAtMs = input.nowMs + Math.max(1, Math.floor(input.lockMs));
    const acquired = (restore: number | undefined): AcquireResult => ({
      outcome: 'acquired',
      lock: {
        pk,
        owner: input.owner,
        lockExpiresAtMs,
        eventTimeMs: input.eventTimeMs,
        ...(restore !== undefined ? { restoreLastAppliedAtMs: restore } : {}),
      },
    });
    const lockValues = {
      ':owner': input.owner,
      ':lock': lockExpiresAtMs,
      ':eventTime': input.eventTimeMs,
      ':lockEvent': input.eventKey ?? '',
      ':expiresAt': nowSec + this.ttlSeconds,
    };
    const setLock =
      'SET lockedBy = :owner, lockExpiresAtMs = :lock, pendingAtMs = :eventTime, lockEvent = :lockEvent, ' +
      '#ttl = :expiresAt';
    let item: GuardItem | undefined;
    for (let round = 0; round < ACQUIRE_ROUNDS; round++) {
      // The common case in one write: not older than the last applied time nor than an intent left behind
      // (applied without commit, or of a crashed holder), no live lock of someone else. Lock and intent are
      // written together, before the CDP call; the old times come back for `release` to restore.
      const fast = await this.conditionalUpdate({
        TableName: this.tableName,
        Key: { [PK]: pk },
        UpdateExpression: setLock,
        ConditionExpression:
          'attribute_not_exists(#pk) OR (#ttl > :nowSec AND ' +
          '(attribute_not_exists(pendingAtMs) OR pendingAtMs <= :eventTime) AND ' +
          '(attribute_not_exists(lastAppliedAtMs) OR lastAppliedAtMs <= :eventTime) AND ' +
          '(attribute_not_exists(lockExpiresAtMs) OR lockExpiresAtMs <= :nowMs OR lockedBy = :owner))',
        ExpressionAttributeNames: { '#pk': PK, '#ttl': TTL },
        ExpressionAttributeValues: { ...lockValues, ':nowSec': nowSec, ':nowMs': input.nowMs },
        ReturnValues: 'ALL_OLD',
      });
      if (fast) return acquired(newestTime(fast.old));
      const result = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { [PK]: pk }, ConsistentRead: true }),
      );
      item = result.Item as GuardItem | undefined;
      if (!item) continue; // Deleted in between (TTL sweep): the fast path creates it.
      if ((item.expiresAt ?? 0) <= nowSec) {
        // Past its retention (TTL deletes lazily): start the entity afresh, dropping its old times.
        if (
          await this.conditionalPut(
            {
              [PK]: pk,
              lockedBy: input.owner,
              lockExpiresAtMs,
              pendingAtMs: input.eventTimeMs,
              lockEvent: input.eventKey ?? '',
              [TTL]: nowSec + this.ttlSeconds,
            },
            item.expiresAt,
          )
        ) {
          return acquired(undefined);
        }
        continue;
      }
      const last = item.lastAppliedAtMs;
      if (last !== undefined && last > input.eventTimeMs) return { outcome: 'stale', lastAppliedAtMs: last };
      const lockLive = (item.lockExpiresAtMs ?? 0) > input.nowMs;
      if (lockLive && item.lockedBy !== input.owner && !(await this.eventCompleted(item.lockEvent))) {
        // Never stale against a live intent: its holder may still fail definitively and roll it back.
        return { outcome: 'busy', lockExpiresAtMs: item.lockExpiresAtMs ?? input.nowMs };
      }
      // The lock has expired (its holder crashed, or applied without commit), is an earlier attempt of ours,
      // or its event is completed (applied): its intent may have landed, or did.
      const pending = item.pendingAtMs;
      if (pending !== undefined && pending > input.eventTimeMs) {
        return { outcome: 'stale', lastAppliedAtMs: pending };
      }
      if (!lockLive) continue; // Nothing in the way of the fast path any more: it decides again.
      const taken = await this.conditionalUpdate({
        TableName: this.tableName,
        Key: { [PK]: pk },
        UpdateExpression: setLock,
        ConditionExpression:
          'lockedBy = :oldOwner AND lockExpiresAtMs = :oldLock AND ' +
          (pending === undefined ? 'attribute_not_exists(pendingAtMs)' : 'pendingAtMs = :pending') +
          ' AND (attribute_not_exists(lastAppliedAtMs) OR lastAppliedAtMs <= :eventTime)',
        ExpressionAttributeNames: { '#ttl': TTL },
        ExpressionAttributeValues: {
          ...lockValues,
          ...(pending === undefined ? {} : { ':pending': pending }),
          ':oldOwner': item.lockedBy ?? '',
          ':oldLock': item.lockExpiresAtMs ?? 0,
        },
        ReturnValues: 'ALL_OLD',
      });
      if (taken) return acquired(newestTime(taken.old));
    }
    return { outcome: 'busy', lockExpiresAtMs: item?.lockExpiresAtMs ?? input.nowMs };
  }

  /**
   * True when the event holding a lock is completed: it applied (or skipped as stale) every operation, so
   * its intent is applied and its lock has ended. One consistent read of the event's dedupe record.
   */
  private async eventCompleted(eventKey: string | undefined): Promise<boolean> {
    if (!eventKey) return false;
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [PK]: dedupeItemKey(eventKey) },
        ConsistentRead: true,
        ProjectionExpression: '#status',
        ExpressionAttributeNames: { '#status': 'status' },
      }),
    );
    return (result.Item as { status?: string } | undefined)?.status === 'COMPLETED';
  }

  /**
   * An update that may be refused by its condition: undefined when refused, else the item's attributes
   * from before it (when the command asks for `ALL_OLD`).
   */
  private async conditionalUpdate(
    command: ConstructorParameters<typeof UpdateCommand>[0],
  ): Promise<{ readonly old: GuardItem | undefined } | undefined> {
    try {
      const result = await this.client.send(new UpdateCommand(command));
      return { old: result.Attributes as GuardItem | undefined };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /** Replaces an expired item, unless someone else replaced or refreshed it first. */
  private async conditionalPut(
    item: Record<string, unknown>,
    oldExpiresAt: number | undefined,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression:
            oldExpiresAt === undefined ? 'attribute_not_exists(#ttl)' : '#ttl = :oldExpiresAt',
          ExpressionAttributeNames: { '#ttl': TTL },
          ...(oldExpiresAt === undefined
            ? {}
            : { ExpressionAttributeValues: { ':oldExpiresAt': oldExpiresAt } }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async commit(lock: EntityLock, eventKey: string, nowMs: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: lock.pk },
          UpdateExpression:
            'SET lastAppliedAtMs = :eventTime, lastEventKey = :eventKey, appliedAt = :now, ' +
            'lastOutcome = :outcome, #ttl = :expiresAt REMOVE lockedBy, lockExpiresAtMs, pendingAtMs, lockEvent',
          ConditionExpression: 'lockedBy = :owner AND lockExpiresAtMs = :lock',
          ExpressionAttributeNames: { '#ttl': TTL },
          ExpressionAttributeValues: {
            ':eventTime': lock.eventTimeMs,
            ':eventKey': eventKey,
            ':outcome': 'applied',
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
    // An intent this lock replaced may have landed: it stays counted (L = max(L, P) of before).
    const restore = lock.restoreLastAppliedAtMs;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: lock.pk },
          UpdateExpression: `${restore !== undefined ? 'SET lastAppliedAtMs = :restore ' : ''}REMOVE lockedBy, lockExpiresAtMs, pendingAtMs, lockEvent`,
          ConditionExpression: 'lockedBy = :owner AND lockExpiresAtMs = :lock',
          ExpressionAttributeValues: {
            ':owner': lock.owner,
            ':lock': lock.lockExpiresAtMs,
            ...(restore !== undefined ? { ':restore': restore } : {}),
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async markMaybeApplied(lock: EntityLock, eventKey: string, nowMs: number): Promise<void> {
    // L = t keeps max(L, P): the lock's intent is t and L <= t while the lock is ours. The lock stays ours
    // through the quarantine (our own retry may take it at once, as its owner).
    await this.conditionalUpdate({
      TableName: this.tableName,
      Key: { [PK]: lock.pk },
      UpdateExpression:
        'SET lastAppliedAtMs = :eventTime, lastEventKey = :eventKey, appliedAt = :now, ' +
        'lastOutcome = :outcome, lockExpiresAtMs = :quarantine, #ttl = :expiresAt REMOVE pendingAtMs',
      ConditionExpression: 'lockedBy = :owner AND lockExpiresAtMs = :lock',
      ExpressionAttributeNames: { '#ttl': TTL },
      ExpressionAttributeValues: {
        ':eventTime': lock.eventTimeMs,
        ':eventKey': eventKey,
        ':outcome': 'maybe_applied',
        ':quarantine': Math.max(lock.lockExpiresAtMs, nowMs + this.quarantineMs),
        ':now': new Date(nowMs).toISOString(),
        ':expiresAt': Math.floor(nowMs / 1000) + this.ttlSeconds,
        ':owner': lock.owner,
        ':lock': lock.lockExpiresAtMs,
      },
    });
  }
}
