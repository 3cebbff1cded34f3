/**
 * The cost model prices DynamoDB from the capacity units the counting proxy measures, not from a count of
 * calls: these checks pin that it reports what DynamoDB Local charges by item size (a unit per started KB
 * written; a refused conditional write at DynamoDB's minimum of one) and leaves the answers intact.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { startCountingProxy } from '../../../bench/lib/counting-proxy';
import { uniqueName, useEmulators } from '../../support/emulators';

useEmulators();

describe('counting proxy: DynamoDB capacity', () => {
  it('sums the units DynamoDB charges by item size, and counts a refused write as one', async () => {
    const upstream = process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '';
    const proxy = await startCountingProxy(upstream, { measureDynamoCapacity: true });
    const client = new DynamoDBClient({ endpoint: proxy.url, maxAttempts: 1 });
    try {
      const table = uniqueName('capacity');
      await client.send(
        new CreateTableCommand({
          TableName: table,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      );
      proxy.reset();
      const put = (pk: string, bytes: number, condition?: string) =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: { pk: { S: pk }, v: { S: 'x'.repeat(bytes) } },
            ...(condition ? { ConditionExpression: condition } : {}),
          }),
        );
      await put('small', 100); // 1 unit
      await put('large', 2500); // 3 units (a unit per started KB)
      await assert.rejects(put('small', 100, 'attribute_not_exists(pk)'), {
        name: 'ConditionalCheckFailedException',
      });
      const updated = await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: 'large' } },
          UpdateExpression: 'SET n = :n',
          ExpressionAttributeValues: { ':n': { N: '1' } },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      assert.deepEqual(updated.Attributes, { n: { N: '1' } }, 'the answer reaches the caller intact');
      const got = await client.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: 'large' } }, ConsistentRead: true }),
      );
      assert.equal(got.Item?.v?.S?.length, 2500);
      const units = proxy.capacityUnits();
      assert.equal(units['DynamoDB.PutItem'], 1 + 3 + 1);
      assert.equal(
        units['DynamoDB.UpdateItem'],
        3,
        'an update is charged by the larger of the item before and after',
      );
      assert.equal(units['DynamoDB.GetItem'], 1, 'a consistent read of under 4 KB is one unit');
      assert.equal(proxy.counts()['DynamoDB.PutItem'], 3);
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });
});
