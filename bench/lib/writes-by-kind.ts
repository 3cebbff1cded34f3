/**
 * DynamoDB writes per event BY KIND (issue 17, item 1), for the cost report: the real processor domain with
 * the real dedupe store and entity guard on DynamoDB Local and the real CDP client against the stand-in,
 * one event kind at a time, each event processed alone, its calls counted by a middleware on the state
 * table's document client. A write refused by its condition is billed like any write, so it counts.
 * test/integration/processor/writes-per-event.test.ts asserts the same figures as counts.
 */
import { readFileSync } from 'node:fs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { CdpClient } from '../../lambdas/cdp/client';
import { DynamoDedupeStore } from '../../lambdas/dedupe/dedupe-store';
import { DynamoEntityGuard } from '../../lambdas/dedupe/entity-guard';
import { createProcessor } from '../../lambdas/processor/processor';
import { createDynamoDocumentClient } from '../../lambdas/shared/dynamo-client';
import { ENVELOPE_VERSION, type QueueEnvelope } from '../../lambdas/shared/envelope';
import { STATE_TABLE } from '../../lambdas/shared/schema';
import type { SourceConfig } from '../../lambdas/shared/source-config';
import { startCdpStandIn } from '../../local/cdp-stand-in';
import { emulatorEnv, startEmulators } from '../../local/emulators';
import { MetricCounter, silentLogger } from './processor';

export interface WritesByKindRow {
  readonly kind: string;
  readonly example: string;
  readonly events: number;
  readonly writesPerEvent: number;
  readonly readsPerEvent: number;
}

const WRITE_COMMANDS = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand']);
const READ_COMMANDS = new Set(['GetItemCommand']);

function fixture(name: string): Record<string, unknown> {
  const url = new URL(`../../test/fixtures/payloads/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
}

let sequence = 0;
function envelope(
  provider: QueueEnvelope['provider'],
  eventType: string,
  body: object,
  occurredAt?: string,
): QueueEnvelope {
  sequence += 1;
  const eventId = `wbk-${process.pid}-${Date.now()}-${sequence}`;
  return {
    v: ENVELOPE_VERSION,
    sourceId: provider,
    provider,
    dedupeKey: `${provider}:${eventId}`,
    providerEventId: eventId,
    eventType,
    occurredAt,
    receivedAt: new Date().toISOString(),
    headers: { 'content-type': 'application/json' },
    body: { kind: 'inline', base64: Buffer.from(JSON.stringify(body)).toString('base64') },
  };
}

function subscriptionUpdate(email: string, created: number): QueueEnvelope {
  const event = fixture('stripe-customer-subscription-updated.json') as {
    id: string;
    created: number;
    data: { object: Record<string, unknown> };
  };
  event.created = created;
  event.data.object.customer_email = email;
  const e = envelope(
    'stripe',
    'customer.subscription.updated',
    event,
    new Date(created * 1000).toISOString(),
  );
  return {
    ...e,
    body: {
      kind: 'inline',
      base64: Buffer.from(JSON.stringify({ ...event, id: e.providerEventId })).toString('base64'),
    },
  };
}

/** Measures each kind with `perKind` events (default 20). */
export async function measureWritesByKind(perKind = 20): Promise<WritesByKindRow[]> {
  const emulators = await startEmulators();
  const saved = { ...process.env };
  Object.assign(process.env, emulatorEnv(emulators));
  const standIn = await startCdpStandIn({ apiKey: 'wbk-key' });
  const cdp = new CdpClient({ baseUrl: standIn.url, apiKey: { getApiKey: async () => 'wbk-key' } });
  try {
    const tableName = `wbk-${process.pid}`;
    await new DynamoDBClient({}).send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: STATE_TABLE.partitionKey, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: STATE_TABLE.partitionKey, KeyType: 'HASH' }],
      }),
    );
    const counts = { writes: 0, reads: 0 };
    const client = createDynamoDocumentClient();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (WRITE_COMMANDS.has(String(context.commandName))) counts.writes++;
        if (READ_COMMANDS.has(String(context.commandName))) counts.reads++;
        return next(args);
      },
      { step: 'initialize', name: 'countStateTableCalls' },
    );
    const sources = new Map<string, SourceConfig>(
      (['stripe', 'shopify', 'segment'] as const).map((id) => [id, { id, provider: id, secretId: 'unused' }]),
    );
    const processor = createProcessor({
      dedupe: new DynamoDedupeStore(client, tableName),
      guard: new DynamoEntityGuard(client, tableName),
      cdp,
      queue: { changeVisibility: async () => undefined, sendToDlq: async () => undefined },
      bodies: {
        load: async (body) => {
          if (body.kind !== 'inline') throw new Error('inline bodies only');
          return Buffer.from(body.base64, 'base64');
        },
        retain: async () => 'inline' as const,
        discard: async () => undefined,
      },
      sources,
      logger: silentLogger,
      metrics: new MetricCounter(),
    });
    const record = (e: QueueEnvelope): SQSRecord => ({
      messageId: e.dedupeKey,
      receiptHandle: e.dedupeKey,
      body: JSON.stringify(e),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'bench',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:events',
      awsRegion: 'us-east-1',
    });
    /** Processes `make(i)` for i < perKind, counting only the measured deliveries. */
    async function measure(
      kind: string,
      example: string,
      make: (i: number) => Promise<QueueEnvelope>,
    ): Promise<WritesByKindRow> {
      let writes = 0;
      let reads = 0;
      for (let i = 0; i < perKind; i++) {
        const e = await make(i);
        const before = { ...counts };
        const outcome = await processor.processRecord(record(e), () => 30_000);
        if (outcome !== 'processed' && outcome !== 'duplicate') throw new Error(`${kind}: ${outcome}`);
        writes += counts.writes - before.writes;
        reads += counts.reads - before.reads;
      }
      return {
        kind,
        example,
        events: perKind,
        writesPerEvent: writes / perKind,
        readsPerEvent: reads / perKind,
      };
    }
    const base = 1_767_225_600;
    const processed = async (e: QueueEnvelope) => {
      await processor.processRecord(record(e), () => 30_000);
      return e;
    };
    return [
      await measure('unguarded single operation', 'Segment track → events.append', async () =>
        envelope('segment', 'track', { ...fixture('segment-track.json'), messageId: `m-${sequence}` }),
      ),
      await measure('guarded upsert', 'Stripe customer.subscription.updated → profiles.upsert', async (i) =>
        subscriptionUpdate(`wbk-${process.pid}-${i}@example.com`, base + i),
      ),
      await measure(
        'guarded upsert, entity written by another event moments before (lock still live)',
        'two subscription updates of one customer, back to back',
        async (i) => {
          const email = `wbk-burst-${process.pid}-${i}@example.com`;
          await processed(subscriptionUpdate(email, base + i));
          return subscriptionUpdate(email, base + i + 1);
        },
      ),
      await measure(
        'multi-operation (two guarded upserts)',
        'Shopify orders/create → profiles.upsert + orders.upsert',
        async (i) =>
          envelope('shopify', 'orders/create', {
            ...fixture('shopify-orders-create.json'),
            id: 9_200_000 + i,
            admin_graphql_api_id: `gid://shopify/Order/${9_200_000 + i}`,
            email: `wbk-order-${process.pid}-${i}@example.com`,
          }),
      ),
      await measure('duplicate of a completed event', 'a Segment track delivered again', async () =>
        processed(
          envelope('segment', 'track', { ...fixture('segment-track.json'), messageId: `d-${sequence}` }),
        ),
      ),
    ];
  } finally {
    cdp.close();
    await standIn.stop();
    await emulators.stop();
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}
