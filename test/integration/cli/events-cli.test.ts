import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoDocumentClient } from '../../../lambdas/shared/aws-clients';
import { type DedupeRecord, KEY_PREFIX, STATE_TABLE } from '../../../lambdas/shared/schema';
import { uniqueName, useEmulators } from '../../support/emulators';
import { cli } from './harness';

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
});
