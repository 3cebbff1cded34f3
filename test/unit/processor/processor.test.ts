import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SQSRecord } from 'aws-lambda';
import type { CdpCallOptions, CdpRecord, CdpResult, CdpWriter } from '../../../lambdas/cdp/client';
import { CdpPermanentError, CdpRetryableError } from '../../../lambdas/cdp/errors';
import type { Claim, ClaimInput, ClaimResult, DedupeStore } from '../../../lambdas/dedupe/dedupe-store';
import type {
  AcquireInput,
  AcquireResult,
  EntityGuard,
  EntityLock,
} from '../../../lambdas/dedupe/entity-guard';
import { MappingError } from '../../../lambdas/mapping/index';
import type {
  BodyStore,
  MetricDimensions,
  OutgoingAttribute,
  ProcessorMetricName,
  QueuePort,
} from '../../../lambdas/processor/ports';
import { classifyError, createProcessor, type ProcessorDeps } from '../../../lambdas/processor/processor';
import {
  ENVELOPE_VERSION,
  type EnvelopeBody,
  FAILURE_ATTRIBUTES,
  type QueueEnvelope,
} from '../../../lambdas/shared/envelope';
import { PROCESSOR_LOG_METRICS } from '../../../lambdas/shared/log-metrics';
import type { DedupeRecord } from '../../../lambdas/shared/schema';
import { SecretUnavailableError } from '../../../lambdas/shared/secrets';
import { logMetricPoints } from '../../../scripts/verify-deployment/metric-filters';

class MemoryDedupe implements DedupeStore {
  readonly completed = new Set<string>();
  readonly released: string[] = [];
  async claim(input: ClaimInput): Promise<ClaimResult> {
    if (this.completed.has(input.dedupeKey)) return { outcome: 'completed', completedAt: undefined };
    return {
      outcome: 'claimed',
      claim: {
        dedupeKey: input.dedupeKey,
        leaseExpiresAtMs: input.nowMs + input.leaseMs,
        appliedOperations: [],
        attempts: 1,
        tookOver: false,
      },
    };
  }
  async recordApplied(): Promise<void> {}
  async markCompleted(claim: Claim): Promise<void> {
    this.completed.add(claim.dedupeKey);
  }
  async release(claim: Claim, _now: number, error: string): Promise<void> {
    this.released.push(`${claim.dedupeKey}: ${error}`);
  }
  async get(): Promise<DedupeRecord | undefined> {
    return undefined;
  }
}

class StaleGuard implements EntityGuard {
  async acquire(input: AcquireInput): Promise<AcquireResult> {
    return { outcome: 'stale', lastAppliedAtMs: input.eventTimeMs + 1 };
  }
  async commit(_lock: EntityLock): Promise<void> {}
  async release(_lock: EntityLock): Promise<void> {}
  async markMaybeApplied(_lock: EntityLock): Promise<void> {}
}

/** Always grants the lock and records how each lock was settled. */
class RecordingGuard implements EntityGuard {
  readonly settled: string[] = [];
  async acquire(input: AcquireInput): Promise<AcquireResult> {
    return {
      outcome: 'acquired',
      lock: {
        pk: 'ent#x',
        owner: input.owner,
        lockExpiresAtMs: input.nowMs + 1000,
        eventTimeMs: input.eventTimeMs,
      },
    };
  }
  async commit(_lock: EntityLock): Promise<void> {
    this.settled.push('commit');
  }
  async release(_lock: EntityLock): Promise<void> {
    this.settled.push('release');
  }
  async markMaybeApplied(_lock: EntityLock): Promise<void> {
    this.settled.push('maybe_applied');
  }
}

class ScriptedCdp implements CdpWriter {
  readonly calls: { object: string; key: string }[] = [];
  constructor(private readonly failure?: Error) {}
  private async call(object: string, options: CdpCallOptions): Promise<CdpResult> {
    this.calls.push({ object, key: options.idempotencyKey });
    if (this.failure) throw this.failure;
    return { status: 200, replayed: false, body: {} };
  }
  upsert(object: string, _r: CdpRecord, _m: string, options: CdpCallOptions) {
    return this.call(object, options);
  }
  append(object: string, _r: CdpRecord, options: CdpCallOptions) {
    return this.call(object, options);
  }
}

class MemoryQueue implements QueuePort {
  readonly visibility: number[] = [];
  readonly dlq: { body: string; attributes: Readonly<Record<string, OutgoingAttribute>> }[] = [];
  async changeVisibility(_arn: string, _receipt: string, seconds: number): Promise<void> {
    this.visibility.push(seconds);
  }
  async sendToDlq(body: string, attributes: Readonly<Record<string, OutgoingAttribute>>): Promise<void> {
    this.dlq.push({ body, attributes });
  }
}

const inlineBodies: BodyStore = {
  async load(body) {
    if (body.kind !== 'inline') throw new Error('inline only');
    return Buffer.from(body.base64, 'base64');
  },
  async retain() {
    return 'inline';
  },
  async discard() {},
};

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function envelope(overrides: Partial<QueueEnvelope> = {}, body: object = { ref: 'main' }): QueueEnvelope {
  return {
    v: ENVELOPE_VERSION,
    sourceId: 'github',
    provider: 'github',
    dedupeKey: 'github:delivery-1',
    providerEventId: 'delivery-1',
    eventType: 'push',
    occurredAt: undefined,
    receivedAt: '2026-01-01T00:00:00.000Z',
    headers: {},
    body: { kind: 'inline', base64: Buffer.from(JSON.stringify(body)).toString('base64') },
    ...overrides,
  };
}

function sqsRecord(body: string, receiveCount = 1, extraAttributes = 0): SQSRecord {
  const messageAttributes: SQSRecord['messageAttributes'] = {
    sourceId: { dataType: 'String', stringValue: 'github' },
  };
  for (let i = 0; i < extraAttributes; i++)
    messageAttributes[`extra${i}`] = { dataType: 'String', stringValue: 'x' };
  return {
    messageId: 'm-1',
    receiptHandle: 'r-1',
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '0',
      SenderId: 's',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes,
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:events',
    awsRegion: 'us-east-1',
  };
}

function deps(overrides: Partial<ProcessorDeps> = {}) {
  const points: { name: ProcessorMetricName; dimensions: MetricDimensions }[] = [];
  const queue = new MemoryQueue();
  const dedupe = new MemoryDedupe();
  const base: ProcessorDeps = {
    dedupe,
    guard: new StaleGuard(),
    cdp: new ScriptedCdp(),
    queue,
    bodies: inlineBodies,
    sources: new Map(),
    logger: silent,
    metrics: { record: (name, dimensions) => points.push({ name, dimensions }) },
    random: () => 0.5,
    backoff: { baseDelaySeconds: 10, maxDelaySeconds: 900 },
    ...overrides,
  };
  return { base, points, queue, dedupe };
}

describe('processor domain (in-memory fakes)', () => {
  it('classifies errors into retryable and permanent classes', () => {
    assert.deepEqual(
      [
        new CdpPermanentError('x', 422),
        new CdpRetryableError('x', 'http', 429, 5000),
        new CdpRetryableError('x', 'http', 503),
        new CdpRetryableError('x', 'timeout'),
        new CdpRetryableError('x', 'network'),
        new MappingError('x'),
        new Error('boom'),
      ].map((e) => {
        const c = classifyError(e);
        return `${c.retryable ? 'retry' : 'dlq'}:${c.failureClass}`;
      }),
      [
        'dlq:cdp_rejected',
        'retry:cdp_throttled',
        'retry:cdp_unavailable',
        'retry:cdp_timeout',
        'retry:cdp_network',
        'dlq:mapping_failed',
        'retry:internal',
      ],
    );
  });

  it('settles the entity guard by what the CDP failure proves: maybe applied unless certainly refused', async () => {
    const subscription = {
      id: 'evt_1',
      created: 1_767_225_600,
      data: { object: { id: 'sub_1', customer: 'cus_1', customer_email: 'a@example.com', status: 'active' } },
    };
    const cases: [Error, string][] = [
      [new CdpRetryableError('x', 'timeout'), 'maybe_applied'],
      [new CdpRetryableError('x', 'network'), 'maybe_applied'],
      [new CdpRetryableError('x', 'http', 503), 'maybe_applied'],
      [new CdpRetryableError('x', 'network', undefined, undefined, false), 'release'],
      [new CdpRetryableError('x', 'http', 429, 1000), 'release'],
      [new CdpPermanentError('x', 422), 'release'],
      [new SecretUnavailableError('x'), 'release'],
      [new Error('unknown'), 'maybe_applied'],
    ];
    for (const [failure, expected] of cases) {
      const guard = new RecordingGuard();
      const { base } = deps({ guard, cdp: new ScriptedCdp(failure) });
      const processor = createProcessor(base);
      const body = JSON.stringify(
        envelope(
          { sourceId: 'stripe', provider: 'stripe', eventType: 'customer.subscription.updated' },
          subscription,
        ),
      );
      await processor.processRecord(sqsRecord(body), () => 20_000).catch(() => undefined);
      assert.deepEqual(guard.settled, [expected], `${failure.name}: ${failure.message}`);
    }
  });

  it('a retryable failure releases the claim, stretches visibility and reports the item failed', async () => {
    const { base, queue, dedupe, points } = deps({
      cdp: new ScriptedCdp(new CdpRetryableError('down', 'http', 503)),
    });
    const lines: Record<string, unknown>[] = [];
    const capture = (_message: string, ...extra: Record<string, unknown>[]) => lines.push(...extra);
    const logger = { debug: capture, info: capture, warn: capture, error: capture };
    const processor = createProcessor({ ...base, logger });
    const response = await processor.handleBatch(
      { Records: [sqsRecord(JSON.stringify(envelope()), 2)] },
      { getRemainingTimeInMillis: () => 20_000 },
    );
    assert.deepEqual(response.batchItemFailures, [{ itemIdentifier: 'm-1' }]);
    assert.deepEqual(queue.visibility, [15]);
    assert.equal(dedupe.released.length, 1);
    // Bounded dimensions only (each combination is a billed metric); the unbounded event type is logged.
    assert.deepEqual(points.find((p) => p.name === 'Failed')?.dimensions, {
      source: 'github',
      class: 'cdp_unavailable',
    });
    assert.ok(lines.some((line) => line.eventType === 'push' && line.failureClass === 'cdp_unavailable'));
    // The failed attempt's CDP time is on its one failure line, with the source: a CdpLatency point.
    const failure = lines.find((line) => line.failureClass === 'cdp_unavailable');
    assert.equal(failure?.source, 'github');
    assert.equal(typeof failure?.cdpMs, 'number');
    assert.deepEqual(
      logMetricPoints(PROCESSOR_LOG_METRICS, { service: 'webhook-processor', ...failure }).map((p) => p.name),
      ['CdpLatency'],
    );
  });

  it('a permanent failure dead-letters with the reason first, within SQS’s 10 attributes, and acknowledges', async () => {
    const longMessage = `rejected ${'x'.repeat(400)}`;
    const { base, queue } = deps({ cdp: new ScriptedCdp(new CdpPermanentError(longMessage, 400)) });
    const processor = createProcessor(base);
    const response = await processor.handleBatch(
      { Records: [sqsRecord(JSON.stringify(envelope()), 1, 9)] },
      { getRemainingTimeInMillis: () => 20_000 },
    );
    assert.deepEqual(response.batchItemFailures, []);
    const [dead] = queue.dlq;
    assert.ok(dead);
    assert.ok(Object.keys(dead.attributes).length <= 10);
    assert.equal(dead.attributes[FAILURE_ATTRIBUTES.failureClass]?.StringValue, 'cdp_rejected');
    assert.equal(dead.attributes[FAILURE_ATTRIBUTES.failureStatus]?.StringValue, '400');
    assert.equal(dead.attributes[FAILURE_ATTRIBUTES.failureMessage]?.StringValue?.length, 256);
    assert.equal(dead.attributes.sourceId?.StringValue, 'github');
  });

  it('a stale upsert is skipped and counted, and the event still completes', async () => {
    const cdp = new ScriptedCdp();
    const { base, points } = deps({ cdp });
    const processor = createProcessor(base);
    const stripe = envelope(
      {
        sourceId: 'stripe',
        provider: 'stripe',
        eventType: 'customer.subscription.updated',
        dedupeKey: 'stripe:evt_1',
      },
      { id: 'evt_1', created: 1, data: { object: { customer_email: 'a@example.com', status: 'active' } } },
    );
    const outcome = await processor.processRecord(sqsRecord(JSON.stringify(stripe)), () => 20_000);
    assert.equal(outcome, 'processed');
    assert.equal(cdp.calls.length, 0);
    assert.deepEqual(
      points.map((p) => p.name),
      ['StaleSkipped'],
    );
  });

  it('a healthy event writes no EMF: its one line carries Processed and CdpLatency (metric filters), a redelivery DuplicateSkipped', async () => {
    const cdp = new ScriptedCdp();
    let clock = 1_000;
    const lines: Record<string, unknown>[] = [];
    const capture = (message: string, ...extra: Record<string, unknown>[]) =>
      lines.push(Object.assign({ message, service: 'webhook-processor' }, ...extra));
    const logger = { debug: capture, info: capture, warn: capture, error: capture };
    const sources = new Map([['github', { id: 'github', provider: 'github', secretId: 'unused' } as const]]);
    const { base, points } = deps({ cdp, logger, sources, now: () => (clock += 10) });
    const processor = createProcessor(base);
    const record = sqsRecord(JSON.stringify(envelope()));
    assert.equal(await processor.processRecord(record, () => 20_000), 'processed');
    assert.equal(await processor.processRecord(record, () => 20_000), 'duplicate');
    assert.deepEqual(points, [], 'no EMF point on the success path');
    assert.equal(lines.length, 2, 'one line per event');
    assert.ok(cdp.calls.length >= 1);
    // cdpMs: the sum of this attempt's CDP calls (each took one 10 ms tick of the fake clock).
    assert.equal(lines[0]?.cdpMs, 10 * cdp.calls.length);
    const dims = { service: 'webhook-processor', source: 'github' };
    assert.deepEqual(
      lines.flatMap((line) => logMetricPoints(PROCESSOR_LOG_METRICS, line)),
      [
        { namespace: 'WebhookPipeline', name: 'Processed', dimensions: dims, value: 1 },
        { namespace: 'WebhookPipeline', name: 'CdpLatency', dimensions: dims, value: 10 * cdp.calls.length },
        { namespace: 'WebhookPipeline', name: 'DuplicateSkipped', dimensions: dims, value: 1 },
      ],
    );
  });

  it('does not start a CDP call without enough invocation time left', async () => {
    const cdp = new ScriptedCdp();
    const { base, queue } = deps({ cdp, safetyMarginMs: 2000 });
    const processor = createProcessor(base);
    await assert.rejects(
      processor.processRecord(sqsRecord(JSON.stringify(envelope())), () => 2100),
      {
        name: 'RetryLaterError',
        failureClass: 'invocation_deadline',
      },
    );
    assert.equal(cdp.calls.length, 0);
    assert.equal(queue.visibility.length, 1);
  });

  it('a whole batch failing is still a normal answer (no invocation error)', async () => {
    const { base } = deps({ cdp: new ScriptedCdp(new CdpRetryableError('down', 'network')) });
    const processor = createProcessor(base);
    const response = await processor.handleBatch(
      {
        Records: [
          sqsRecord(JSON.stringify(envelope())),
          { ...sqsRecord(JSON.stringify(envelope())), messageId: 'm-2' },
        ],
      },
      { getRemainingTimeInMillis: () => 20_000 },
    );
    assert.equal(response.batchItemFailures.length, 2);
  });
});

/** A claim-check store that records what happens to bodies, in order with the DLQ sends. */
class RecordingBodies implements BodyStore {
  readonly log: string[] = [];
  constructor(
    private readonly queue?: MemoryQueue,
    private readonly failRetain = false,
  ) {}
  async load(body: EnvelopeBody): Promise<Buffer> {
    if (body.kind === 'inline') return Buffer.from(body.base64, 'base64');
    return Buffer.from(JSON.stringify({ ref: 'main' }));
  }
  async retain(body: EnvelopeBody, options: { readonly messageSentAtMs?: number } = {}) {
    if (body.kind === 'inline') return 'inline' as const;
    this.log.push(
      `retain${options.messageSentAtMs !== undefined ? `@${options.messageSentAtMs}` : ''} (dlq ${this.queue?.dlq.length ?? 0})`,
    );
    if (this.failRetain && options.messageSentAtMs === undefined) throw new Error('S3 unavailable');
    return 'restarted' as const;
  }
  async discard(body: EnvelopeBody): Promise<void> {
    if (body.kind !== 'inline') this.log.push('discard');
  }
}

const claimChecked = envelope({
  body: { kind: 's3', bucket: 'claims', key: 'github/2026/01/01/abc', sizeBytes: 300_000 },
});

describe('processor: claim-checked bodies outlive their messages and end with their event', () => {
  it('restarts the body clock before dead-lettering, and keeps the body', async () => {
    const queue = new MemoryQueue();
    const bodies = new RecordingBodies(queue);
    const { base } = deps({ queue, bodies, cdp: new ScriptedCdp(new CdpPermanentError('bad', 422)) });
    const outcome = await createProcessor(base).processRecord(
      sqsRecord(JSON.stringify(claimChecked)),
      () => 20_000,
    );
    assert.equal(outcome, 'dead_lettered');
    assert.equal(queue.dlq.length, 1);
    // On receive (message sent at 0: nothing to do beyond the check), then before the DLQ send.
    assert.deepEqual(bodies.log, ['retain@0 (dlq 0)', 'retain (dlq 0)']);
  });

  it('does not dead-letter when the body cannot be kept alive: the message retries instead', async () => {
    const queue = new MemoryQueue();
    const bodies = new RecordingBodies(queue, true);
    const { base } = deps({ queue, bodies, cdp: new ScriptedCdp(new CdpPermanentError('bad', 422)) });
    await assert.rejects(
      createProcessor(base).processRecord(sqsRecord(JSON.stringify(claimChecked)), () => 20_000),
      (error: Error) => error.name === 'RetryLaterError',
    );
    assert.equal(queue.dlq.length, 0);
  });

  it('deletes the body once the event completed, and for a duplicate', async () => {
    const bodies = new RecordingBodies();
    const { base, dedupe } = deps({ bodies });
    const processor = createProcessor(base);
    const github = envelope({ ...claimChecked, eventType: 'push' });
    assert.equal(await processor.processRecord(sqsRecord(JSON.stringify(github)), () => 20_000), 'processed');
    assert.deepEqual(bodies.log, ['retain@0 (dlq 0)', 'discard']);
    assert.ok(dedupe.completed.has(github.dedupeKey));
    bodies.log.length = 0;
    assert.equal(await processor.processRecord(sqsRecord(JSON.stringify(github)), () => 20_000), 'duplicate');
    assert.deepEqual(bodies.log, ['discard']);
  });
});
