import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDedupeStore, isConditionFailure, LeaseLostError } from '../../../lambdas/dedupe/dedupe-store';
import { DynamoEntityGuard } from '../../../lambdas/dedupe/entity-guard';

// Error paths only: the conditional-write semantics are exercised against DynamoDB Local in
// test/integration/processor/state-store.test.ts.
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const ddb = mockClient(doc);
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'failed', $metadata: {} });
const claim = { dedupeKey: 'k', leaseExpiresAtMs: 5, appliedOperations: [], attempts: 1, tookOver: false };

describe('dedupe store error paths', () => {
  beforeEach(() => ddb.reset());

  it('recognises condition failures by class or by name (errors crossing bundle boundaries)', () => {
    assert.ok(isConditionFailure(conditionFailed()));
    assert.ok(isConditionFailure(Object.assign(new Error('x'), { name: 'ConditionalCheckFailedException' })));
    assert.ok(!isConditionFailure(new Error('ProvisionedThroughputExceededException')));
  });

  it('propagates throttling and other AWS errors from a claim (the message is retried)', async () => {
    ddb.on(PutCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const store = new DynamoDedupeStore(doc, 't');
    await assert.rejects(store.claim({ dedupeKey: 'k', nowMs: 1, leaseMs: 1, ttlSeconds: 1 }), {
      name: 'ThrottlingException',
    });
  });

  it('a lost lease on recordApplied is a LeaseLostError; on release it is ignored', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    const store = new DynamoDedupeStore(doc, 't');
    await assert.rejects(store.recordApplied(claim, 'op', 1), LeaseLostError);
    await store.release(claim, 1, 'boom');
  });

  it('markCompleted after a takeover that already completed the event is fine', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: { pk: 'evt#k', status: 'COMPLETED' } });
    await new DynamoDedupeStore(doc, 't').markCompleted(claim, 1, 60);
  });

  it('the entity guard ignores a lost lock on release but reports it on commit', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    const guard = new DynamoEntityGuard(doc, 't');
    const lock = { pk: 'ent#x', owner: 'o', lockExpiresAtMs: 1, eventTimeMs: 1 };
    await guard.release(lock);
    await assert.rejects(guard.commit(lock, 'k', 1), { name: 'EntityLockLostError' });
  });
});
