import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createIngest, type IngestDeps, UNKNOWN_SOURCE_DIMENSION } from '../../../lambdas/ingest/ingest';
import { FAILURE_ATTRIBUTES, MESSAGE_ATTRIBUTES, type QueueEnvelope } from '../../../lambdas/shared/envelope';
import { INGEST_LOG_METRICS } from '../../../lambdas/shared/log-metrics';
import { normaliseHttpEvent } from '../../../lambdas/shared/request';
import type { SourceConfig } from '../../../lambdas/shared/source-config';
import { signHubspot, signStripe } from '../../../local/signers';
import { logMetricPoints } from '../../../scripts/verify-deployment/metric-filters';
import {
  MemoryClaimCheck,
  MemoryQueue,
  RecordingLogger,
  RecordingMetrics,
  silentLogger,
  staticSecrets,
} from './fakes';
import { httpV2Event, type RequestParts, restV1Event } from './http-events';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const STRIPE_SECRET = 'whsec_stripe_unit';
const HUBSPOT_SECRET = 'hubspot-client-secret';
const HUBSPOT_URL = 'https://hooks.example.com/webhooks/hubspot';

const SOURCES: SourceConfig[] = [
  { id: 'stripe', provider: 'stripe', secretId: 'stripe-secret' },
  { id: 'hubspot', provider: 'hubspot', secretId: 'hubspot-secret', publicUrl: HUBSPOT_URL },
  { id: 'empty', provider: 'stripe', secretId: 'empty-secret' },
];

function setup(overrides: Partial<IngestDeps> = {}) {
  const queue = new MemoryQueue();
  const deadLetterQueue = new MemoryQueue();
  const claimCheck = new MemoryClaimCheck();
  const metrics = new RecordingMetrics();
  const sleeps: number[] = [];
  const deps: IngestDeps = {
    sources: new Map(SOURCES.map((s) => [s.id, s])),
    secrets: staticSecrets({
      'stripe-secret': [STRIPE_SECRET],
      'hubspot-secret': [HUBSPOT_SECRET],
      'empty-secret': [],
    }),
    queue,
    deadLetterQueue,
    claimCheck,
    logger: silentLogger,
    metrics,
    now: () => NOW,
    uuid: () => '00000000-0000-4000-8000-000000000000',
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  };
  const ingest = createIngest(deps);
  return { ingest, queue, deadLetterQueue, claimCheck, metrics, sleeps };
}

function stripeParts(body: Buffer, nowMs = NOW, path = '/webhooks/stripe'): RequestParts {
  return { path, body, headers: signStripe({ body, url: '', signingKey: STRIPE_SECRET, nowMs }).headers };
}

function hubspotParts(events: unknown[]): RequestParts {
  const body = Buffer.from(JSON.stringify(events));
  return {
    path: '/webhooks/hubspot',
    body,
    headers: signHubspot({ body, url: HUBSPOT_URL, signingKey: HUBSPOT_SECRET, nowMs: NOW }).headers,
  };
}

const hubspotEvents = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    eventId: i + 1,
    subscriptionType: 'contact.creation',
    occurredAt: NOW,
  }));

const envelope = (body: string) => JSON.parse(body) as QueueEnvelope;

describe('ingest domain', () => {
  it('queues one envelope per event and answers 202 with the dedupe keys', async () => {
    const logger = new RecordingLogger();
    const { ingest, queue, metrics } = setup({ logger });
    const body = Buffer.from('{"id":"evt_1","type":"invoice.paid","created":1780315200}');
    const response = await ingest.handle(normaliseHttpEvent(httpV2Event(stripeParts(body))));
    assert.equal(response.statusCode, 202);
    assert.deepEqual(JSON.parse(response.body), { received: 1, eventIds: ['stripe:evt_1'] });
    assert.equal(queue.accepted.length, 1);
    const sent = envelope(queue.accepted[0]?.body ?? '');
    assert.equal(sent.receivedAt, new Date(NOW).toISOString());
    assert.equal(sent.occurredAt, '2026-06-01T12:00:00.000Z');
    assert.equal(queue.accepted[0]?.attributes[MESSAGE_ATTRIBUTES.eventType], 'invoice.paid');
    // A healthy request writes no EMF: its one log line is the `Enqueued` metric (a metric filter).
    assert.deepEqual(metrics.points, []);
    assert.equal(logger.lines.length, 1);
    const [line] = logger.lines;
    assert.deepEqual(
      logMetricPoints(INGEST_LOG_METRICS, {
        level: 'INFO',
        message: line?.message,
        service: 'webhook-ingest',
        ...line?.attributes,
      }),
      [
        {
          namespace: 'WebhookPipeline',
          name: 'Enqueued',
          dimensions: { service: 'webhook-ingest', source: 'stripe' },
          value: 1,
        },
      ],
    );
  });

  it('routes before anything else: unknown source 404 (bounded metric dimension), other methods 405', async () => {
    const { ingest, metrics } = setup();
    const unknown = await ingest.handle(normaliseHttpEvent(httpV2Event({ path: '/webhooks/random-123' })));
    assert.equal(unknown.statusCode, 404);
    assert.deepEqual(metrics.points[0], {
      name: 'Rejected',
      source: UNKNOWN_SOURCE_DIMENSION,
      value: 1,
      reason: 'unknown_source',
    });
    const put = await ingest.handle(
      normaliseHttpEvent(restV1Event({ path: '/webhooks/stripe', method: 'PUT' })),
    );
    assert.equal(put.statusCode, 405);
    assert.equal(put.headers.allow, 'POST');
  });

  it('verifies with the injected clock: a signature from 10 minutes ago is 401 timestamp_too_old', async () => {
    const { ingest, queue } = setup();
    const body = Buffer.from('{"id":"evt_old"}');
    const response = await ingest.handle(normaliseHttpEvent(httpV2Event(stripeParts(body, NOW - 600_000))));
    assert.equal(response.statusCode, 401);
    assert.equal(JSON.parse(response.body).error, 'timestamp_too_old');
    assert.equal(queue.calls.length, 0);
  });

  it('a source without an active secret is our fault: 503 source_misconfigured, not 401', async () => {
    const { ingest } = setup();
    const body = Buffer.from('{"id":"evt_1"}');
    const response = await ingest.handle(
      normaliseHttpEvent(httpV2Event(stripeParts(body, NOW, '/webhooks/empty'))),
    );
    assert.equal(response.statusCode, 503);
    assert.equal(JSON.parse(response.body).error, 'source_misconfigured');
  });

  it('a HubSpot batch of 25 goes out in 3 SendMessageBatch calls; refused entries alone are retried', async () => {
    const queue = new MemoryQueue((entry, call) => call < 3 && (entry.id === 'e3' || entry.id === 'e17'));
    const { ingest, sleeps } = setup({ queue });
    const response = await ingest.handle(normaliseHttpEvent(httpV2Event(hubspotParts(hubspotEvents(25)))));
    assert.equal(response.statusCode, 202, response.body);
    assert.deepEqual(
      queue.calls.map((c) => c.length),
      [10, 10, 5, 2],
    );
    assert.deepEqual(queue.calls[3]?.map((e) => e.id).sort(), ['e17', 'e3']);
    assert.equal(new Set(queue.accepted.map((e) => e.attributes[MESSAGE_ATTRIBUTES.dedupeKey])).size, 25);
    assert.deepEqual(sleeps, [25]);
  });

  it('an entry refused on every attempt makes the answer 503', async () => {
    const queue = new MemoryQueue((entry) => entry.id === 'e0');
    const { ingest, metrics } = setup({ queue, retry: { attempts: 4, baseDelayMs: 1 } });
    const response = await ingest.handle(normaliseHttpEvent(httpV2Event(hubspotParts(hubspotEvents(3)))));
    assert.equal(response.statusCode, 503);
    assert.equal(queue.calls.length, 4);
    assert.equal(metrics.total('EnqueueFailed'), 3);
    assert.deepEqual(
      metrics.points.filter((p) => p.name === 'ServerErrors'),
      [{ name: 'ServerErrors', source: 'hubspot', value: 1, reason: 'enqueue_failed' }],
    );
  });

  it('every 5xx is counted as ServerErrors with its code: secret unavailable, dead-letter failure, a crash', async () => {
    const unavailable = setup({ secrets: staticSecrets({}) });
    const body = Buffer.from('{"id":"evt_5xx"}');
    assert.equal(
      (await unavailable.ingest.handle(normaliseHttpEvent(httpV2Event(stripeParts(body))))).statusCode,
      503,
    );
    const deadLetter = setup({ deadLetterQueue: new MemoryQueue(() => true) });
    await deadLetter.ingest.handle(normaliseHttpEvent(httpV2Event(hubspotParts([]))));
    const crashing = setup({
      claimCheck: {
        put: () => {
          throw new TypeError('not a promise');
        },
      },
      claimCheckThresholdBytes: 1024,
    });
    const big = Buffer.from(JSON.stringify({ id: 'evt_crash', type: 't', pad: 'x'.repeat(4000) }));
    const crashed = await crashing.ingest.handle(normaliseHttpEvent(httpV2Event(stripeParts(big))));
    assert.ok(crashed.statusCode >= 500);
    const reasons = [unavailable, deadLetter, crashing].map((r) =>
      r.metrics.points.filter((p) => p.name === 'ServerErrors').map((p) => `${p.source}:${p.reason}`),
    );
    assert.deepEqual(reasons, [
      ['stripe:secret_unavailable'],
      ['hubspot:dead_letter_failed'],
      [`stripe:${JSON.parse(crashed.body).error}`],
    ]);
  });

  it('claim-checks envelopes over the threshold and counts them', async () => {
    const { ingest, queue, claimCheck, metrics } = setup({ claimCheckThresholdBytes: 2048 });
    const body = Buffer.from(JSON.stringify({ id: 'evt_big', type: 't', pad: 'x'.repeat(4000) }));
    const response = await ingest.handle(normaliseHttpEvent(httpV2Event(stripeParts(body))));
    assert.equal(response.statusCode, 202);
    const sent = envelope(queue.accepted[0]?.body ?? '');
    assert.deepEqual(sent.body, {
      kind: 's3',
      bucket: 'claims',
      key: 'stripe/2026/06/01/00000000-0000-4000-8000-000000000000',
      sizeBytes: body.length,
    });
    assert.deepEqual(claimCheck.objects.get('stripe/2026/06/01/00000000-0000-4000-8000-000000000000'), body);
    assert.equal(metrics.total('ClaimChecked'), 1);
  });

  it('authentic but unusable: an empty HubSpot array is dead-lettered with failure attributes, 202', async () => {
    const { ingest, queue, deadLetterQueue, metrics } = setup();
    const response = await ingest.handle(normaliseHttpEvent(httpV2Event(hubspotParts([]))));
    assert.equal(response.statusCode, 202);
    assert.equal(JSON.parse(response.body).deadLettered, true);
    assert.equal(queue.calls.length, 0);
    const dead = deadLetterQueue.accepted[0];
    assert.ok(dead);
    assert.equal(dead.attributes[FAILURE_ATTRIBUTES.failureClass], 'unusable_payload');
    assert.equal(dead.attributes[FAILURE_ATTRIBUTES.failedBy], 'ingest');
    assert.equal(dead.attributes[FAILURE_ATTRIBUTES.failedAt], new Date(NOW).toISOString());
    assert.equal(dead.attributes[MESSAGE_ATTRIBUTES.sourceId], 'hubspot');
    assert.deepEqual(
      Buffer.from(
        envelope(dead.body).body.kind === 'inline'
          ? (envelope(dead.body).body as { base64: string }).base64
          : '',
        'base64',
      ),
      Buffer.from('[]'),
    );
    assert.ok(metrics.points.some((p) => p.name === 'Rejected' && p.reason === 'unusable_payload'));
  });

  it('a dead-letter send that keeps failing is 503, so nothing authentic is lost', async () => {
    const { ingest } = setup({ deadLetterQueue: new MemoryQueue(() => true) });
    const response = await ingest.handle(normaliseHttpEvent(httpV2Event(hubspotParts([]))));
    assert.equal(response.statusCode, 503);
    assert.equal(JSON.parse(response.body).error, 'dead_letter_failed');
  });

  it('logs one line per request: a batch of 25 events is one line carrying its 25 dedupe keys', async () => {
    const logger = new RecordingLogger();
    const { ingest } = setup({ logger });
    const response = await ingest.handle(normaliseHttpEvent(httpV2Event(hubspotParts(hubspotEvents(25)))));
    assert.equal(response.statusCode, 202, response.body);
    assert.equal(logger.lines.length, 1);
    const [line] = logger.lines;
    assert.equal(line?.message, 'Webhook enqueued');
    assert.equal(line?.attributes.source, 'hubspot');
    assert.equal(line?.attributes.events, 25);
    assert.equal((line?.attributes.dedupeKeys as string[] | undefined)?.length, 25);
    // `Enqueued` counts events, not requests: the filter takes its value from `events`.
    assert.deepEqual(
      logMetricPoints(INGEST_LOG_METRICS, {
        message: line?.message,
        service: 'webhook-ingest',
        ...line?.attributes,
      }).map((p) => [p.name, p.value, p.dimensions.source]),
      [['Enqueued', 25, 'hubspot']],
    );
  });

  it('logs dedupe keys and never the body or secrets', async () => {
    const logger = new RecordingLogger();
    const { ingest } = setup({ logger });
    const body = Buffer.from('{"id":"evt_log","type":"t","email":"secret-person@example.com"}');
    await ingest.handle(normaliseHttpEvent(httpV2Event(stripeParts(body))));
    await ingest.handle(
      normaliseHttpEvent(httpV2Event({ ...stripeParts(body), body: Buffer.from('{"tampered":1}') })),
    );
    const text = JSON.stringify(logger.lines);
    assert.ok(
      logger.lines.some(
        (l) => l.message === 'Webhook enqueued' && l.attributes.dedupeKey === 'stripe:evt_log',
      ),
    );
    assert.ok(!text.includes('secret-person'));
    assert.ok(!text.includes('tampered'));
    assert.ok(!text.includes(STRIPE_SECRET));
  });

  it('rejects a bad claim-check threshold at construction (it concerns every source)', () => {
    assert.throws(() => setup({ claimCheckThresholdBytes: 2 * 1024 * 1024 }));
  });

  it("one source's bad CIDR takes only that source out: 503 source_misconfigured, the others get 202", async () => {
    const logger = new RecordingLogger();
    const { ingest, queue, metrics } = setup({
      logger,
      sources: new Map<string, SourceConfig>([
        ['stripe', { id: 'stripe', provider: 'stripe', secretId: 'stripe-secret' }],
        [
          'broken',
          {
            id: 'broken',
            provider: 'stripe',
            secretId: 'stripe-secret',
            allowedCidrs: ['10.0.0.0/8', '2001:db8:1:2:3:4:5:6:7/64'],
          },
        ],
      ]),
    });
    const body = Buffer.from('{"id":"evt_cidr","type":"customer.updated","created":1}');
    const broken = await ingest.handle(
      normaliseHttpEvent(httpV2Event(stripeParts(body, NOW, '/webhooks/broken'))),
    );
    assert.equal(broken.statusCode, 503);
    assert.equal(JSON.parse(broken.body).error, 'source_misconfigured');
    const fine = await ingest.handle(normaliseHttpEvent(httpV2Event(stripeParts(body))));
    assert.equal(fine.statusCode, 202, fine.body);
    assert.equal(queue.accepted.length, 1);
    assert.deepEqual(
      metrics.points.filter((p) => p.name === 'ServerErrors'),
      [{ name: 'ServerErrors', source: 'broken', value: 1, reason: 'source_misconfigured' }],
    );
    assert.ok(logger.lines.some((l) => l.level === 'error' && l.attributes.source === 'broken'));
  });
});

describe('ingest domain: an empty secret fails closed', () => {
  // Every form a SecretSource might hand over that holds no usable secret, plus the key each request is
  // signed with: the empty string (an HMAC anyone can compute) or the blank value itself.
  const EMPTY_FORMS: { name: string; values: readonly string[]; signingKey: string }[] = [
    { name: 'no value', values: [], signingKey: '' },
    { name: 'the empty string', values: [''], signingKey: '' },
    { name: 'spaces', values: ['   '], signingKey: '   ' },
    { name: 'a newline and a tab', values: ['\n\t'], signingKey: '\n\t' },
    { name: 'several blank values', values: ['', ' '], signingKey: '' },
  ];

  for (const form of EMPTY_FORMS) {
    it(`a source whose secret is ${form.name}: 503 source_misconfigured, counted and logged, nothing queued`, async () => {
      const logger = new RecordingLogger();
      const { ingest, queue, metrics } = setup({
        logger,
        secrets: staticSecrets({ 'stripe-secret': form.values }),
      });
      const body = Buffer.from('{"id":"evt_forged","type":"customer.updated","created":1}');
      const parts: RequestParts = {
        path: '/webhooks/stripe',
        body,
        headers: signStripe({ body, url: '', signingKey: form.signingKey, nowMs: NOW }).headers,
      };
      const response = await ingest.handle(normaliseHttpEvent(httpV2Event(parts)));
      assert.equal(response.statusCode, 503, response.body);
      assert.equal(response.headers['content-type'], 'application/json');
      assert.equal(JSON.parse(response.body).error, 'source_misconfigured');
      assert.equal(queue.calls.length, 0);
      assert.equal(metrics.total('ServerErrors'), 1);
      assert.ok(
        metrics.points.some((p) => p.name === 'Rejected' && p.reason === 'no_active_secret'),
        'counted as a misconfiguration, not a signature rejection',
      );
      const line = logger.lines.find((l) => l.level === 'error');
      assert.equal(line?.attributes.source, 'stripe');
    });
  }

  it('a blank value beside a real one is ignored: the real one verifies, the empty key does not', async () => {
    const { ingest, queue } = setup({
      secrets: staticSecrets({ 'stripe-secret': ['', STRIPE_SECRET, ' '] }),
    });
    const body = Buffer.from('{"id":"evt_mixed","type":"customer.updated","created":1}');
    const forged = await ingest.handle(
      normaliseHttpEvent(
        httpV2Event({
          path: '/webhooks/stripe',
          body,
          headers: signStripe({ body, url: '', signingKey: '', nowMs: NOW }).headers,
        }),
      ),
    );
    assert.equal(forged.statusCode, 401, forged.body);
    const genuine = await ingest.handle(normaliseHttpEvent(httpV2Event(stripeParts(body))));
    assert.equal(genuine.statusCode, 202, genuine.body);
    assert.equal(queue.accepted.length, 1);
  });
});
