import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createSqsClient } from '../../../lambdas/shared/aws-clients';
import { createDynamoDocumentClient } from '../../../lambdas/shared/dynamo-client';
import { type DedupeRecord, KEY_PREFIX, STATE_TABLE } from '../../../lambdas/shared/schema';
import { uniqueName, useEmulators } from '../../support/emulators';
import { cli, createQueues, depth, sendRejected } from './harness';

async function createStateTable(): Promise<string> {
  const TableName = uniqueName('cli-state');
  await new DynamoDBClient({}).send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: STATE_TABLE.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: STATE_TABLE.partitionKey, KeyType: 'HASH' }],
    }),
  );
  return TableName;
}

describe('webhooks events get against DynamoDB Local', () => {
  useEmulators();

  it('prints the dedupe record of an event, and says clearly when there is none', async () => {
    const table = await createStateTable();
    const record: DedupeRecord = {
      pk: `${KEY_PREFIX.event}shop-a:evt_1`,
      status: 'COMPLETED',
      expiresAt: Math.floor(Date.now() / 1000) + 86_400,
      attempts: 2,
      firstSeenAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:03.000Z',
      completedAt: '2026-01-01T00:00:03.000Z',
      appliedOperations: ['upsert:contacts:a@example.com'],
      lastError: 'CDP 503 on attempt 1',
    };
    await createDynamoDocumentClient().send(new PutCommand({ TableName: table, Item: record }));

    const found = await cli(['events', 'get', 'shop-a', 'evt_1', '--table', table, '--json']);
    assert.equal(found.code, 0, found.stderr);
    const lookup = JSON.parse(found.stdout);
    assert.equal(lookup.found, true);
    assert.equal(lookup.expired, false);
    assert.deepEqual(lookup.record, record);

    const human = await cli(['events', 'get', 'shop-a', 'evt_1', '--table', table]);
    assert.match(human.stdout, /Status: +COMPLETED/);
    assert.match(human.stdout, /Attempts: +2/);
    assert.match(human.stdout, /Last error: CDP 503 on attempt 1/);

    const absent = await cli(['events', 'get', 'shop-a', 'evt_missing', '--table', table, '--json']);
    assert.equal(absent.code, 0, absent.stderr);
    assert.deepEqual(JSON.parse(absent.stdout), {
      found: false,
      pk: 'evt#shop-a:evt_missing',
      dedupeKey: 'shop-a:evt_missing',
      state: 'unknown',
      dlqChecked: false,
      deadLetter: null,
    });
    const absentHuman = await cli(['events', 'get', 'shop-a', 'evt_missing', '--table', table]);
    assert.match(absentHuman.stdout, /No dedupe record for shop-a:evt_missing/);
  });

  it('flags a record past its TTL that DynamoDB has not deleted yet', async () => {
    const table = await createStateTable();
    await createDynamoDocumentClient().send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: `${KEY_PREFIX.event}shop-a:old`,
          status: 'COMPLETED',
          expiresAt: Math.floor(Date.now() / 1000) - 60,
          attempts: 1,
          firstSeenAt: '2025-01-01T00:00:00.000Z',
          updatedAt: '2025-01-01T00:00:00.000Z',
        },
      }),
    );
    const result = await cli(['events', 'get', 'shop-a', 'old', '--table', table]);
    assert.match(result.stdout, /EXPIRED/);
  });

  it('fails with a pointer to the missing option when no table is known', async () => {
    const result = await cli(['events', 'get', 'shop-a', 'evt_1']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /--table, WEBHOOKS_TABLE or --stack/);
  });
  it('says plainly when an event was dead-lettered, rather than IN_PROGRESS with a lease in the past', async () => {
    const table = await createStateTable();
    const sqs = createSqsClient();
    const queues = await createQueues(sqs);
    const nowMs = Date.now();
    // What the processor leaves behind when it gives up: the claim released, the reason in lastError.
    const released = (eventId: string): DedupeRecord => ({
      pk: `${KEY_PREFIX.event}shop-a:${eventId}`,
      status: 'IN_PROGRESS',
      leaseExpiresAtMs: nowMs - 1000,
      expiresAt: Math.floor(nowMs / 1000) + 86_400,
      attempts: 1,
      firstSeenAt: new Date(nowMs - 5000).toISOString(),
      updatedAt: new Date(nowMs - 1000).toISOString(),
      lastError: 'cdp_rejected: CDP rejected the record: email invalid',
    });
    const doc = createDynamoDocumentClient();
    await doc.send(new PutCommand({ TableName: table, Item: released('evt_dead') }));
    await doc.send(new PutCommand({ TableName: table, Item: released('evt_retrying') }));
    const messageId = await sendRejected(sqs, queues, {
      sourceId: 'shop-a',
      eventId: 'evt_dead',
      eventType: 'customer.updated',
      payload: '{}',
    });
    const args = ['--table', table, '--dlq-url', queues.dlqUrl];

    const dead = await cli(['events', 'get', 'shop-a', 'evt_dead', ...args, '--json']);
    assert.equal(dead.code, 0, dead.stderr);
    const lookup = JSON.parse(dead.stdout);
    assert.equal(lookup.state, 'dead_lettered');
    assert.equal(lookup.deadLetter.messageId, messageId);
    assert.equal(lookup.deadLetter.reason, 'cdp_rejected');
    const human = await cli(['events', 'get', 'shop-a', 'evt_dead', ...args]);
    assert.match(human.stdout, /State: +DEAD-LETTERED/);
    assert.match(human.stdout, new RegExp(`DLQ message: ${messageId}.*reason cdp_rejected \\(HTTP 422\\)`));
    assert.doesNotMatch(human.stdout, /Lease until/, 'a released lease is not shown as if it were held');

    const retrying = await cli(['events', 'get', 'shop-a', 'evt_retrying', ...args, '--json']);
    assert.equal(JSON.parse(retrying.stdout).state, 'retrying');
    const unknown = await cli(['events', 'get', 'shop-a', 'evt_dead', '--table', table]);
    assert.match(unknown.stdout, /NOT COMPLETED: .*pass --stack or --dlq-url/);
    assert.equal(await depth(sqs, queues.dlqUrl), 1, 'looking does not consume the dead letter');
  });

  it('a table that does not exist: one friendly line and a hint (DynamoDB Local)', async () => {
    const result = await cli(['events', 'get', 'shop-a', 'evt_1', '--table', uniqueName('no-such-table')]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^error: Table no-such-table\S* not found in \S+ for these credentials\.\nhint: check --stack \(or --table\)/,
    );
    assert.doesNotMatch(result.stderr, /^\s+at /m);
  });
});
