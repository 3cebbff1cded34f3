import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDedupeStore, LeaseLostError } from '../../../lambdas/dedupe/dedupe-store';
import { DynamoEntityGuard, EntityLockLostError, entityItemKey } from '../../../lambdas/dedupe/entity-guard';
import { createDynamoDocumentClient } from '../../../lambdas/shared/dynamo-client';
import { STATE_TABLE } from '../../../lambdas/shared/schema';
import { uniqueName, useEmulators } from '../../support/emulators';
import { createStateTable } from './harness';

const TTL = 96 * 3600;

describe('state table: dedupe claims and the entity guard on DynamoDB conditional writes', () => {
  useEmulators();
  let store: DynamoDedupeStore;
  let guard: DynamoEntityGuard;
  let tableName: string;
  const client = () => createDynamoDocumentClient();

  before(async () => {
    tableName = await createStateTable();
    store = new DynamoDedupeStore(client(), tableName);
    guard = new DynamoEntityGuard(client(), tableName);
  });

  it('of many concurrent claims exactly one wins; the others see it in progress, then completed', async () => {
    const dedupeKey = uniqueName('evt');
    const now = Date.now();
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        store.claim({ dedupeKey, nowMs: now, leaseMs: 10_000, ttlSeconds: TTL }),
      ),
    );
    const winners = results.filter((r) => r.outcome === 'claimed');
    assert.equal(winners.length, 1);
    assert.ok(results.filter((r) => r.outcome !== 'claimed').every((r) => r.outcome === 'in_progress'));
    const winner = winners[0];
    assert.ok(winner?.outcome === 'claimed');
    await store.markCompleted(winner.claim, now + 10, TTL);
    const again = await store.claim({ dedupeKey, nowMs: now + 20, leaseMs: 10_000, ttlSeconds: TTL });
    assert.equal(again.outcome, 'completed');
  });

  it('fencing: a delivery whose lease was taken over cannot record, complete or release', async () => {
    const dedupeKey = uniqueName('evt');
    const t0 = Date.now();
    const first = await store.claim({ dedupeKey, nowMs: t0, leaseMs: 1000, ttlSeconds: TTL });
    assert.ok(first.outcome === 'claimed');
    const second = await store.claim({ dedupeKey, nowMs: t0 + 1500, leaseMs: 5000, ttlSeconds: TTL });
    assert.ok(second.outcome === 'claimed' && second.claim.tookOver);
    await assert.rejects(store.recordApplied(first.claim, 'op', t0 + 1600), LeaseLostError);
    await assert.rejects(store.markCompleted(first.claim, t0 + 1600, TTL), LeaseLostError);
    await store.release(first.claim, t0 + 1600, 'late');
    assert.equal(
      (await store.get(dedupeKey))?.leaseExpiresAtMs,
      t0 + 6500,
      'the stale release changed nothing',
    );
    await store.recordApplied(second.claim, 'op', t0 + 1700);
    await store.markCompleted(second.claim, t0 + 1800, TTL);
    const record = await store.get(dedupeKey);
    assert.equal(record?.status, 'COMPLETED');
    assert.equal(record?.attempts, 2);
    assert.deepEqual(record?.appliedOperations, ['op']);
    assert.equal(record?.leaseExpiresAtMs, undefined);
  });

  it('a released claim can be taken over at once and keeps its progress and last error', async () => {
    const dedupeKey = uniqueName('evt');
    const t0 = Date.now();
    const first = await store.claim({ dedupeKey, nowMs: t0, leaseMs: 60_000, ttlSeconds: TTL });
    assert.ok(first.outcome === 'claimed');
    await store.recordApplied(first.claim, 'op-1', t0 + 1);
    await store.release(first.claim, t0 + 2, 'cdp_unavailable: 503');
    const retry = await store.claim({ dedupeKey, nowMs: t0 + 3, leaseMs: 60_000, ttlSeconds: TTL });
    assert.ok(retry.outcome === 'claimed');
    assert.deepEqual(retry.claim.appliedOperations, ['op-1']);
    assert.equal((await store.get(dedupeKey))?.lastError, 'cdp_unavailable: 503');
  });

  it('an expired completed record is absent: the new claim starts from scratch', async () => {
    const dedupeKey = uniqueName('evt');
    const nowMs = Date.now();
    await client().send(
      new PutCommand({
        TableName: tableName,
        Item: {
          [STATE_TABLE.partitionKey]: `evt#${dedupeKey}`,
          status: 'COMPLETED',
          [STATE_TABLE.ttlAttribute]: Math.floor(nowMs / 1000) - 1,
          attempts: 3,
          appliedOperations: ['old-op'],
          firstSeenAt: 'x',
          updatedAt: 'x',
        },
      }),
    );
    const result = await store.claim({ dedupeKey, nowMs, leaseMs: 1000, ttlSeconds: TTL });
    assert.ok(result.outcome === 'claimed');
    assert.equal(result.claim.attempts, 1);
    assert.deepEqual(result.claim.appliedOperations, []);
  });

  it('the entity guard: older is stale, equal and newer pass, a live lock is busy, an expired lock is taken', async () => {
    const entity = {
      sourceId: 'stripe',
      object: 'profiles',
      matchKeyValue: `${uniqueName('e')}@example.com`,
    };
    const t = Date.now();
    const acquired = await guard.acquire({ entity, owner: 'a', eventTimeMs: 2000, nowMs: t, lockMs: 5000 });
    assert.ok(acquired.outcome === 'acquired');
    const busy = await guard.acquire({ entity, owner: 'b', eventTimeMs: 3000, nowMs: t + 1, lockMs: 5000 });
    assert.equal(busy.outcome, 'busy');
    await guard.commit(acquired.lock, 'evt-a', t + 2);
    assert.deepEqual(
      await guard.acquire({ entity, owner: 'c', eventTimeMs: 1000, nowMs: t + 3, lockMs: 5000 }),
      {
        outcome: 'stale',
        lastAppliedAtMs: 2000,
      },
    );
    const equal = await guard.acquire({ entity, owner: 'd', eventTimeMs: 2000, nowMs: t + 4, lockMs: 1000 });
    assert.equal(equal.outcome, 'acquired', 'equal times pass (providers stamp whole seconds)');
    const takeover = await guard.acquire({
      entity,
      owner: 'e',
      eventTimeMs: 4000,
      nowMs: t + 2000,
      lockMs: 5000,
    });
    assert.ok(takeover.outcome === 'acquired', 'an expired lock (crashed holder) is taken over');
    assert.ok(equal.outcome === 'acquired');
    await assert.rejects(guard.commit(equal.lock, 'evt-d', t + 2001), EntityLockLostError);
    await guard.commit(takeover.lock, 'evt-e', t + 2002);
    const older = await guard.acquire({
      entity,
      owner: 'f',
      eventTimeMs: 3999,
      nowMs: t + 2003,
      lockMs: 5000,
    });
    assert.equal(older.outcome, 'stale');
  });

  it('a released entity lock (failed upsert) leaves the last applied time unchanged', async () => {
    const entity = {
      sourceId: 'stripe',
      object: 'profiles',
      matchKeyValue: uniqueName('e'),
      scope: 'property:x',
    };
    const t = Date.now();
    const first = await guard.acquire({ entity, owner: 'a', eventTimeMs: 5000, nowMs: t, lockMs: 5000 });
    assert.ok(first.outcome === 'acquired');
    await guard.release(first.lock);
    const older = await guard.acquire({ entity, owner: 'b', eventTimeMs: 4000, nowMs: t + 1, lockMs: 5000 });
    assert.equal(older.outcome, 'acquired', 'the failed newer update did not advance the guard');
    assert.match(entityItemKey(entity), /^ent#stripe#profiles#.+#property:x$/);
  });

  it('the entity guard keeps a maybe-applied write: older is stale, its own retry and newer ones pass', async () => {
    const entity = { sourceId: 'stripe', object: 'profiles', matchKeyValue: uniqueName('maybe') };
    const t = Date.now();
    const a = await guard.acquire({ entity, owner: 'a', eventTimeMs: 5000, nowMs: t, lockMs: 5000 });
    assert.ok(a.outcome === 'acquired');
    await guard.markMaybeApplied(a.lock, 'evt-a', t + 1);
    const quarantined = await guard.acquire({
      entity,
      owner: 'c',
      eventTimeMs: 6000,
      nowMs: t + 2,
      lockMs: 5000,
    });
    assert.equal(
      quarantined.outcome,
      'busy',
      'a newer update waits while the ambiguous write may still land',
    );
    assert.deepEqual(
      await guard.acquire({ entity, owner: 'b', eventTimeMs: 4000, nowMs: t + 2, lockMs: 5000 }),
      {
        outcome: 'stale',
        lastAppliedAtMs: 5000,
      },
    );
    const retry = await guard.acquire({ entity, owner: 'a', eventTimeMs: 5000, nowMs: t + 3, lockMs: 5000 });
    assert.ok(retry.outcome === 'acquired', 'the maybe-applied event’s own retry passes');
    await guard.commit(retry.lock, 'evt-a', t + 4);
    const newer = await guard.acquire({ entity, owner: 'c', eventTimeMs: 6000, nowMs: t + 5, lockMs: 5000 });
    assert.ok(newer.outcome === 'acquired');
  });

  it('the entity guard counts the intent of a crashed holder once its lock expired, also after a definite failure of the next holder', async () => {
    const entity = { sourceId: 'stripe', object: 'profiles', matchKeyValue: uniqueName('crash') };
    const t = Date.now();
    const crashed = await guard.acquire({ entity, owner: 'a', eventTimeMs: 5000, nowMs: t, lockMs: 1000 });
    assert.ok(crashed.outcome === 'acquired'); // ... and the holder dies after its CDP write.
    const whileLocked = await guard.acquire({
      entity,
      owner: 'b',
      eventTimeMs: 4000,
      nowMs: t + 10,
      lockMs: 1000,
    });
    assert.equal(whileLocked.outcome, 'busy', 'a live intent is waited for, never judged');
    assert.deepEqual(
      await guard.acquire({ entity, owner: 'b', eventTimeMs: 4000, nowMs: t + 2000, lockMs: 1000 }),
      { outcome: 'stale', lastAppliedAtMs: 5000 },
      'after the lock expired the intent counts as maybe applied',
    );
    const newer = await guard.acquire({
      entity,
      owner: 'c',
      eventTimeMs: 7000,
      nowMs: t + 2001,
      lockMs: 1000,
    });
    assert.ok(newer.outcome === 'acquired', 'a newer update takes over');
    await assert.rejects(guard.commit(crashed.lock, 'evt-a', t + 2002), EntityLockLostError);
    await guard.release(newer.lock); // The newer one is refused (422): rolled back, not to nothing.
    assert.deepEqual(
      await guard.acquire({ entity, owner: 'b', eventTimeMs: 4000, nowMs: t + 2003, lockMs: 1000 }),
      { outcome: 'stale', lastAppliedAtMs: 5000 },
      'the crashed holder’s maybe-applied time survived the takeover',
    );
    const retryOfA = await guard.acquire({
      entity,
      owner: 'a',
      eventTimeMs: 5000,
      nowMs: t + 2004,
      lockMs: 1000,
    });
    assert.equal(retryOfA.outcome, 'acquired');
  });

  it('the entity guard: a newer update after the quarantine applies, and the maybe-applied event’s retry is then stale', async () => {
    const entity = { sourceId: 'stripe', object: 'profiles', matchKeyValue: uniqueName('newer') };
    const t = Date.now();
    const quick = new DynamoEntityGuard(client(), tableName, undefined, 100);
    const a = await quick.acquire({ entity, owner: 'a', eventTimeMs: 5000, nowMs: t, lockMs: 50 });
    assert.ok(a.outcome === 'acquired');
    await quick.markMaybeApplied(a.lock, 'evt-a', t + 10);
    const c = await quick.acquire({ entity, owner: 'c', eventTimeMs: 6000, nowMs: t + 200, lockMs: 5000 });
    assert.ok(c.outcome === 'acquired', 'the newer update applies once the quarantine is over');
    await quick.commit(c.lock, 'evt-c', t + 201);
    assert.deepEqual(
      await quick.acquire({ entity, owner: 'a', eventTimeMs: 5000, nowMs: t + 202, lockMs: 50 }),
      {
        outcome: 'stale',
        lastAppliedAtMs: 6000,
      },
    );
  });

  it('an upsert settled by its event’s completion: its lock waits while the event runs, then ends, and its time counts as applied', async () => {
    const entity = { sourceId: 'stripe', object: 'profiles', matchKeyValue: uniqueName('lazy') };
    const eventA = uniqueName('evt-a');
    const t = Date.now();
    const claimA = await store.claim({ dedupeKey: eventA, nowMs: t, leaseMs: 60_000, ttlSeconds: TTL });
    assert.ok(claimA.outcome === 'claimed');
    const a = await guard.acquire({
      entity,
      owner: 'a-op',
      eventKey: eventA,
      eventTimeMs: 5000,
      nowMs: t,
      lockMs: 60_000,
    });
    assert.ok(a.outcome === 'acquired'); // ... the CDP answers 2xx; no guard write follows.
    const newer = { entity, owner: 'c-op', eventKey: uniqueName('evt-c'), eventTimeMs: 6000, lockMs: 5000 };
    assert.equal(
      (await guard.acquire({ ...newer, nowMs: t + 1 })).outcome,
      'busy',
      'while A’s event is not completed its intent may still be rolled back',
    );
    await store.markCompleted(claimA.claim, t + 2, TTL, 'a-op');
    assert.deepEqual(
      await guard.acquire({ entity, owner: 'b-op', eventTimeMs: 4000, nowMs: t + 3, lockMs: 5000 }),
      { outcome: 'stale', lastAppliedAtMs: 5000 },
      'A’s event completed: its time counts as applied at once, though its lock has not expired',
    );
    const c = await guard.acquire({ ...newer, nowMs: t + 4 });
    assert.ok(c.outcome === 'acquired', 'a newer update takes the ended lock over');
    assert.equal(c.lock.restoreLastAppliedAtMs, 5000);
    await guard.release(c.lock); // C is refused (422): A's time stays.
    assert.deepEqual(
      await guard.acquire({ entity, owner: 'b-op', eventTimeMs: 4000, nowMs: t + 5, lockMs: 5000 }),
      { outcome: 'stale', lastAppliedAtMs: 5000 },
      'the release restored the intent its lock had replaced',
    );
    assert.equal(
      (await guard.acquire({ entity, owner: 'd-op', eventTimeMs: 5000, nowMs: t + 6, lockMs: 5000 })).outcome,
      'acquired',
      'equal times still pass',
    );
  });

  it('the entity guard starts an entity past its retention afresh', async () => {
    const entity = { sourceId: 'stripe', object: 'profiles', matchKeyValue: uniqueName('old') };
    const t = Date.now();
    const short = new DynamoEntityGuard(client(), tableName, 1);
    const first = await short.acquire({ entity, owner: 'a', eventTimeMs: 9000, nowMs: t, lockMs: 500 });
    assert.ok(first.outcome === 'acquired');
    await short.commit(first.lock, 'evt-a', t);
    const later = await short.acquire({
      entity,
      owner: 'b',
      eventTimeMs: 1000,
      nowMs: t + 3000,
      lockMs: 500,
    });
    assert.equal(later.outcome, 'acquired');
  });
});
