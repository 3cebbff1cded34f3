/**
 * Test harness for the processor against the real emulators (DynamoDB Local, fauxqs SQS+S3, the Secrets
 * Manager stand-in) and the CDP stand-in. It plays the part of the Lambda event source mapping: receive a
 * batch, invoke the processor's batch handler, delete what succeeded, leave the failures to their
 * visibility timeouts (which the processor stretches).
 *
 * It also holds what the processor tests (and the CLI redrive test) share: per-describe and per-test
 * harness lifetimes, the fixture events they send, and records seeded straight into the state table.
 */
import { readFileSync } from 'node:fs';
import { after, before } from 'node:test';
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { CdpClient, secretApiKeyProvider } from '../../../lambdas/cdp/client';
import { type DedupeStore, DynamoDedupeStore, dedupeItemKey } from '../../../lambdas/dedupe/dedupe-store';
import { DynamoEntityGuard, type EntityGuard } from '../../../lambdas/dedupe/entity-guard';
import { SqsQueuePort } from '../../../lambdas/processor/aws-ports';
import type { BackoffPolicy } from '../../../lambdas/processor/backoff';
import type {
  MetricDimensions,
  OutgoingAttribute,
  ProcessorLogger,
  ProcessorMetricName,
  ProcessorMetrics,
  QueuePort,
} from '../../../lambdas/processor/ports';
import { createProcessor, type Processor, type ProcessorDeps } from '../../../lambdas/processor/processor';
import { S3BodyStore } from '../../../lambdas/processor/s3-body-store';
import type { ProviderId } from '../../../lambdas/providers/types';
import { createSecretsManagerClient, createSqsClient } from '../../../lambdas/shared/aws-clients';
import { createDynamoDocumentClient } from '../../../lambdas/shared/dynamo-client';
import {
  ENVELOPE_VERSION,
  type EnvelopeBody,
  MESSAGE_ATTRIBUTES,
  type QueueEnvelope,
} from '../../../lambdas/shared/envelope';
import { PROCESSOR_LOG_METRICS } from '../../../lambdas/shared/log-metrics';
import { createS3Client } from '../../../lambdas/shared/s3-client';
import { STATE_TABLE } from '../../../lambdas/shared/schema';
import { CachedSecretsManagerSource } from '../../../lambdas/shared/secrets';
import type { SourceConfig } from '../../../lambdas/shared/source-config';
import { type CdpStandIn, type StartCdpStandInOptions, startCdpStandIn } from '../../../local/cdp-stand-in';
import { logMetricPoints } from '../../../scripts/verify-deployment/metric-filters';
import { uniqueName, useEmulators } from '../../support/emulators';

/** A metric the processor's log lines give through the metric filters (lambdas/shared/log-metrics.ts). */
type LogMetricName = (typeof PROCESSOR_LOG_METRICS)[number]['metricName'];

/**
 * The processor's metrics as CloudWatch would see them: the EMF points it records, plus, with `logs`, the
 * points its log lines give under the production metric filters (`Processed`, `DuplicateSkipped`, …).
 */
export class MetricsRecorder implements ProcessorMetrics {
  readonly points: { name: ProcessorMetricName; dimensions: MetricDimensions; value: number }[] = [];
  constructor(private readonly logs?: LogRecorder) {}
  record(name: ProcessorMetricName, dimensions: MetricDimensions, value = 1): void {
    this.points.push({ name, dimensions, value });
  }
  count(name: ProcessorMetricName | LogMetricName, filter: Partial<MetricDimensions> = {}): number {
    const fromLogs = (this.logs?.lines ?? []).flatMap((line) =>
      logMetricPoints(
        PROCESSOR_LOG_METRICS,
        Object.assign({ message: line.message, service: 'webhook-processor' }, ...line.extra),
      ).map((p) => ({
        name: p.name,
        dimensions: p.dimensions as unknown as MetricDimensions,
        value: p.value,
      })),
    );
    return [...this.points, ...fromLogs]
      .filter((p) => p.name === name)
      .filter((p) =>
        Object.entries(filter).every(([k, v]) => p.dimensions[k as keyof MetricDimensions] === v),
      )
      .reduce((sum, p) => sum + p.value, 0);
  }
}

export class LogRecorder implements ProcessorLogger {
  readonly lines: { level: string; message: string; extra: Record<string, unknown>[] }[] = [];
  debug(message: string, ...extra: Record<string, unknown>[]) {
    this.lines.push({ level: 'debug', message, extra });
  }
  info(message: string, ...extra: Record<string, unknown>[]) {
    this.lines.push({ level: 'info', message, extra });
  }
  warn(message: string, ...extra: Record<string, unknown>[]) {
    this.lines.push({ level: 'warn', message, extra });
  }
  error(message: string, ...extra: Record<string, unknown>[]) {
    this.lines.push({ level: 'error', message, extra });
  }
}

/** Records every visibility change (by message id) before passing it on to SQS. */
class RecordingQueuePort implements QueuePort {
  readonly visibilityChanges: { messageId: string | undefined; seconds: number }[] = [];
  constructor(
    private readonly inner: QueuePort,
    private readonly messageIdOf: (receiptHandle: string) => string | undefined,
  ) {}
  async changeVisibility(arn: string, receiptHandle: string, seconds: number): Promise<void> {
    this.visibilityChanges.push({ messageId: this.messageIdOf(receiptHandle), seconds });
    await this.inner.changeVisibility(arn, receiptHandle, seconds);
  }
  sendToDlq(body: string, attributes: Readonly<Record<string, OutgoingAttribute>>): Promise<void> {
    return this.inner.sendToDlq(body, attributes);
  }
}

export interface HarnessOptions {
  /** Wraps the real dedupe store (crash injection). */
  readonly wrapDedupe?: (store: DedupeStore) => DedupeStore;
  /** Wraps the real entity guard (crash injection between the CDP write and the guard's bookkeeping). */
  readonly wrapGuard?: (guard: EntityGuard) => EntityGuard;
  /** The processor's clock, shared with the CDP stand-in's idempotency retention (simulated time, time-travel tests). @default Date.now */
  readonly now?: () => number;
  /** Stand-in settings (idempotency retention, payload check on key reuse). */
  readonly standIn?: Omit<StartCdpStandInOptions, 'apiKey' | 'now'>;
  /** @default 1-4 s */
  readonly backoff?: BackoffPolicy;
  /** The guard's quarantine after an ambiguous write; short so tests in real time stay quick. @default 1000 */
  readonly guardQuarantineMs?: number;
  /** What `context.getRemainingTimeInMillis()` reports; also the lease length. @default 4000 */
  readonly remainingMs?: number;
  readonly cdpRequestTimeoutMs?: number;
  readonly maxReceiveCount?: number;
}

export interface EnvelopeInput {
  readonly sourceId: string;
  readonly provider: ProviderId;
  readonly eventType: string;
  readonly eventId: string;
  readonly body: Buffer | string | object;
  readonly occurredAt?: string;
  /** Put the body in S3 (claim check) instead of inline. */
  readonly claimCheck?: boolean;
}

export const SOURCES: ReadonlyMap<string, SourceConfig> = new Map(
  (
    [
      { id: 'stripe', provider: 'stripe', secretId: 'unused', dedupeTtlHours: 96 },
      { id: 'shopify', provider: 'shopify', secretId: 'unused' },
      { id: 'segment', provider: 'segment', secretId: 'unused' },
      { id: 'hubspot', provider: 'hubspot', secretId: 'unused' },
      { id: 'github', provider: 'github', secretId: 'unused' },
      { id: 'adyen', provider: 'adyen', secretId: 'unused', dedupeTtlHours: 30 * 24 },
    ] satisfies SourceConfig[]
  ).map((s) => [s.id, s]),
);

export interface Harness {
  readonly tableName: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
  readonly bucket: string;
  readonly standIn: CdpStandIn;
  readonly processor: Processor;
  readonly metrics: MetricsRecorder;
  readonly logs: LogRecorder;
  readonly visibilityChanges: readonly { messageId: string | undefined; seconds: number }[];
  readonly dedupeStore: DynamoDedupeStore;
  readonly documentClient: ReturnType<typeof createDynamoDocumentClient>;
  envelope(input: EnvelopeInput): Promise<QueueEnvelope>;
  /**
   * Sends a (raw) message body to the main queue; returns its message id. `attributes` are added to (or, for
   * a raw body, are) its message attributes, e.g. the failure attributes a native DLQ redrive keeps.
   */
  send(body: QueueEnvelope | string, attributes?: Readonly<Record<string, string>>): Promise<string>;
  /** `send`, then `drain`: the message and everything it left behind (retries) are processed. */
  deliver(body: QueueEnvelope | string, drainTimeoutMs?: number): Promise<string>;
  /** One event-source-mapping poll: receive up to 10 visible messages, invoke, delete successes. */
  pollOnce(): Promise<{ received: number; failed: string[] }>;
  /** Polls until the main queue is empty (visible and in flight) or the timeout passes. */
  drain(timeoutMs?: number): Promise<void>;
  /** Receives every message currently in the DLQ. */
  dlqMessages(): Promise<Message[]>;
  toRecord(message: Message): SQSRecord;
  stop(): Promise<void>;
}

/** Creates a state table (dedupe records, entity locks) under a unique name and returns the name. */
export async function createStateTable(): Promise<string> {
  const tableName = uniqueName('state');
  await new DynamoDBClient({}).send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: STATE_TABLE.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: STATE_TABLE.partitionKey, KeyType: 'HASH' }],
    }),
  );
  return tableName;
}

async function queueArnOf(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes?.QueueArn ?? '';
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const sqs = createSqsClient();
  const s3 = createS3Client();
  const documentClient = createDynamoDocumentClient();
  const tableName = await createStateTable();
  await new DynamoDBClient({}).send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: STATE_TABLE.ttlAttribute, Enabled: true },
    }),
  );
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('dlq') }));
  const dlqUrl = dlq.QueueUrl ?? '';
  const dlqArn = await queueArnOf(sqs, dlqUrl);
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: uniqueName('events'),
      Attributes: {
        VisibilityTimeout: '30',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: options.maxReceiveCount ?? 5,
        }),
      },
    }),
  );
  const queueUrl = main.QueueUrl ?? '';
  const queueArn = await queueArnOf(sqs, queueUrl);
  const bucket = uniqueName('claims');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));

  const standIn = await startCdpStandIn({
    ...options.standIn,
    apiKey: `key-${uniqueName('cdp')}`,
    ...(options.now ? { now: options.now } : {}),
  });
  const secretId = uniqueName('cdp-key');
  const secretsClient = createSecretsManagerClient();
  await secretsClient.send(
    new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify({ apiKey: standIn.apiKey }) }),
  );
  const cdp = new CdpClient({
    baseUrl: standIn.url,
    apiKey: secretApiKeyProvider(new CachedSecretsManagerSource(secretsClient), secretId),
    requestTimeoutMs: options.cdpRequestTimeoutMs ?? 2000,
  });

  const receiptToMessage = new Map<string, string>();
  const queue = new RecordingQueuePort(new SqsQueuePort(sqs, dlqUrl, [queueUrl]), (r) =>
    receiptToMessage.get(r),
  );
  const dedupeStore = new DynamoDedupeStore(documentClient, tableName);
  const logs = new LogRecorder();
  const metrics = new MetricsRecorder(logs);
  const deps: ProcessorDeps = {
    dedupe: options.wrapDedupe ? options.wrapDedupe(dedupeStore) : dedupeStore,
    guard: (options.wrapGuard ?? ((g: EntityGuard) => g))(
      new DynamoEntityGuard(documentClient, tableName, undefined, options.guardQuarantineMs ?? 1000),
    ),
    cdp,
    queue,
    bodies: new S3BodyStore(s3, options.now),
    sources: SOURCES,
    logger: logs,
    metrics,
    backoff: options.backoff ?? { baseDelaySeconds: 1, maxDelaySeconds: 4 },
    ...(options.now ? { now: options.now } : {}),
    safetyMarginMs: 200,
    maxReceiveCount: options.maxReceiveCount ?? 5,
    ...(options.now ? { now: options.now } : {}),
  };
  const processor = createProcessor(deps);
  const remainingMs = options.remainingMs ?? 4000;

  function toRecord(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    return {
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
        SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
        SenderId: attributes.SenderId ?? 'local',
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: Object.fromEntries(
        Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
          name,
          {
            dataType: value.DataType ?? 'String',
            ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
          },
        ]),
      ),
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: 'us-east-1',
    };
  }

  async function receive(url: string, waitSeconds: number): Promise<Message[]> {
    const result = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    return result.Messages ?? [];
  }

  const harness: Harness = {
    tableName,
    queueUrl,
    queueArn,
    dlqUrl,
    bucket,
    standIn,
    processor,
    metrics,
    logs,
    visibilityChanges: queue.visibilityChanges,
    dedupeStore,
    documentClient,
    toRecord,
    async envelope(input) {
      const bytes = Buffer.isBuffer(input.body)
        ? input.body
        : Buffer.from(typeof input.body === 'string' ? input.body : JSON.stringify(input.body));
      let body: EnvelopeBody = { kind: 'inline', base64: bytes.toString('base64') };
      if (input.claimCheck) {
        const key = `events/${uniqueName(input.eventId)}`;
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
        body = { kind: 's3', bucket, key, sizeBytes: bytes.length };
      }
      return {
        v: ENVELOPE_VERSION,
        sourceId: input.sourceId,
        provider: input.provider,
        dedupeKey: `${input.sourceId}:${input.eventId}`,
        providerEventId: input.eventId,
        eventType: input.eventType,
        occurredAt: input.occurredAt,
        receivedAt: new Date().toISOString(),
        headers: { 'content-type': 'application/json' },
        body,
      };
    },
    async send(body, attributes = {}) {
      const isEnvelope = typeof body !== 'string';
      const extra = Object.fromEntries(
        Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
      );
      const result = await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: isEnvelope ? JSON.stringify(body) : body,
          ...(isEnvelope
            ? {
                MessageAttributes: {
                  [MESSAGE_ATTRIBUTES.sourceId]: { DataType: 'String', StringValue: body.sourceId },
                  [MESSAGE_ATTRIBUTES.provider]: { DataType: 'String', StringValue: body.provider },
                  [MESSAGE_ATTRIBUTES.eventType]: { DataType: 'String', StringValue: body.eventType },
                  [MESSAGE_ATTRIBUTES.dedupeKey]: { DataType: 'String', StringValue: body.dedupeKey },
                  ...extra,
                },
              }
            : Object.keys(extra).length > 0
              ? { MessageAttributes: extra }
              : {}),
        }),
      );
      return result.MessageId ?? '';
    },
    async deliver(body, drainTimeoutMs) {
      const messageId = await harness.send(body);
      await harness.drain(drainTimeoutMs);
      return messageId;
    },
    async pollOnce() {
      const messages = await receive(queueUrl, 1);
      if (messages.length === 0) return { received: 0, failed: [] };
      for (const m of messages)
        if (m.ReceiptHandle && m.MessageId) receiptToMessage.set(m.ReceiptHandle, m.MessageId);
      const event: SQSEvent = { Records: messages.map(toRecord) };
      const response = await processor.handleBatch(event, { getRemainingTimeInMillis: () => remainingMs });
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      for (const m of messages) {
        if (!failed.has(m.MessageId ?? '')) {
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
        }
      }
      return { received: messages.length, failed: [...failed] };
    },
    async drain(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const { received } = await harness.pollOnce();
        if (received > 0) continue;
        const attributes = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: queueUrl,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        const visible = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
        const inFlight = Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
        if (visible === 0 && inFlight === 0) return;
      }
      throw new Error(`Queue not drained within ${timeoutMs} ms`);
    },
    async dlqMessages() {
      const all: Message[] = [];
      for (;;) {
        const batch = await receive(dlqUrl, 0);
        if (batch.length === 0) return all;
        all.push(...batch);
      }
    },
    async stop() {
      cdp.close();
      await standIn.stop();
    },
  };
  return harness;
}

/**
 * One harness for every test of the enclosing describe (emulators included), stopped after them. The
 * object is returned empty and filled in by the `before` hook, so the tests can hold it from the describe
 * body; touch it only inside tests and hooks.
 */
export function useHarness(options: HarnessOptions = {}): Harness {
  useEmulators();
  // Cast: the describe body needs the reference before `before` can create what it points to.
  const shared = {} as Harness;
  let created: Harness | undefined;
  before(async () => {
    created = await createHarness(options);
    Object.assign(shared, created);
  });
  after(async () => {
    await created?.stop();
  });
  return shared;
}

/** Runs one test against a harness of its own (for options the describe's others must not share). */
export async function withHarness(
  options: HarnessOptions,
  test: (h: Harness) => Promise<void>,
): Promise<void> {
  const h = await createHarness(options);
  try {
    await test(h);
  } finally {
    await h.stop();
  }
}

/** A dedupe store that behaves like `store` except for the methods given (crash injection). */
export function interceptDedupe(store: DedupeStore, overrides: Partial<DedupeStore>): DedupeStore {
  return {
    claim: (input) => store.claim(input),
    recordApplied: (claim, key, now) => store.recordApplied(claim, key, now),
    markCompleted: (claim, now, ttl, last) => store.markCompleted(claim, now, ttl, last),
    release: (claim, now, error) => store.release(claim, now, error),
    get: (key) => store.get(key),
    ...overrides,
  };
}

/** An entity guard that behaves like `guard` except for the methods given (crash injection). */
export function interceptGuard(guard: EntityGuard, overrides: Partial<EntityGuard>): EntityGuard {
  return {
    acquire: (input) => guard.acquire(input),
    commit: (lock, key, now) => guard.commit(lock, key, now),
    release: (lock) => guard.release(lock),
    markMaybeApplied: (lock, key, now) => guard.markMaybeApplied(lock, key, now),
    ...overrides,
  };
}

/** A payload from test/fixtures/payloads. */
export function fixture(name: string): Buffer {
  return readFileSync(new URL(`../../fixtures/payloads/${name}`, import.meta.url));
}

/** An event of one of {@link SOURCES} (each named after its provider), with a fresh event id unless given. */
export function eventInput(
  provider: ProviderId,
  eventType: string,
  body: EnvelopeInput['body'],
  extra: Partial<EnvelopeInput> = {},
): EnvelopeInput {
  return { sourceId: provider, provider, eventType, eventId: uniqueName('evt'), body, ...extra };
}

/** A Segment `track` call: one CDP operation (events.append). */
export function segmentTrack(): EnvelopeInput {
  return eventInput('segment', 'track', fixture('segment-track.json'), { eventId: uniqueName('msg') });
}

/** A paid Stripe invoice: one CDP operation (payments.append). */
export function stripeInvoicePaid(
  body: EnvelopeInput['body'] = fixture('stripe-invoice-payment-succeeded.json'),
): EnvelopeInput {
  return eventInput('stripe', 'invoice.payment_succeeded', body);
}

/** A GitHub push delivery: one CDP operation (events.append). */
export function githubPush(): EnvelopeInput {
  return eventInput('github', 'push', fixture('github-push.json'), { eventId: uniqueName('delivery') });
}

/**
 * A Shopify order for `email`: two CDP operations (profiles.upsert, orders.upsert). With `orderId` the
 * order is also a distinct one; without, it keeps the fixture's id.
 */
export function shopifyOrderCreated(email: string, orderId?: number): EnvelopeInput {
  const order = JSON.parse(fixture('shopify-orders-create.json').toString('utf8'));
  if (orderId !== undefined) {
    order.id = orderId;
    order.admin_graphql_api_id = `gid://shopify/Order/${orderId}`;
  }
  order.email = email;
  return eventInput('shopify', 'orders/create', order, { eventId: uniqueName('wh') });
}

/** Writes an event's dedupe record straight into the state table, as an earlier delivery left it. */
async function putDedupeRecord(
  h: Harness,
  dedupeKey: string,
  fields: Readonly<Record<string, unknown>>,
): Promise<void> {
  await h.documentClient.send(
    new PutCommand({
      TableName: h.tableName,
      Item: { [STATE_TABLE.partitionKey]: dedupeItemKey(dedupeKey), ...fields },
    }),
  );
}

/** The record of a first delivery that claimed the event at `startedAtMs` and has not finished. */
export function putInProgressRecord(
  h: Harness,
  dedupeKey: string,
  lease: {
    readonly startedAtMs: number;
    readonly leaseExpiresAtMs: number;
    readonly appliedOperations: string[];
  },
): Promise<void> {
  return putDedupeRecord(h, dedupeKey, {
    status: 'IN_PROGRESS',
    leaseExpiresAtMs: lease.leaseExpiresAtMs,
    [STATE_TABLE.ttlAttribute]: Math.floor(Date.now() / 1000) + 3600,
    attempts: 1,
    firstSeenAt: new Date(lease.startedAtMs).toISOString(),
    updatedAt: new Date(lease.startedAtMs).toISOString(),
    appliedOperations: lease.appliedOperations,
  });
}

/** The record of a delivery that completed (with no operations) at `completedAtMs`. */
export function putCompletedRecord(
  h: Harness,
  dedupeKey: string,
  record: { readonly completedAtMs: number; readonly expiresAtSec: number },
): Promise<void> {
  const completedAt = new Date(record.completedAtMs).toISOString();
  return putDedupeRecord(h, dedupeKey, {
    status: 'COMPLETED',
    [STATE_TABLE.ttlAttribute]: record.expiresAtSec,
    attempts: 1,
    firstSeenAt: completedAt,
    updatedAt: completedAt,
    completedAt,
    appliedOperations: [],
  });
}
