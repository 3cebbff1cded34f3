import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createIngest, type IngestDeps, UNKNOWN_SOURCE_DIMENSION } from '../../../lambdas/ingest/ingest';
import { FAILURE_ATTRIBUTES, MESSAGE_ATTRIBUTES, type QueueEnvelope } from '../../../lambdas/shared/envelope';
import { normaliseHttpEvent } from '../../../lambdas/shared/request';
import type { SourceConfig } from '../../../lambdas/shared/source-config';
import { signHubspot, signStripe } from '../../../local/signers';
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
    const { ingest, queue, metrics } = setup();
    const body = Buffer.from('{"id":"evt_1","type":"invoice.paid","created":1780315200}');
    const response = await ingest.handle(normaliseHttpEvent(httpV2Event(stripeParts(body))));
    assert.equal(response.statusCode, 202);
    assert.deepEqual(JSON.parse(response.body), { received: 1, eventIds: ['stripe:evt_1'] });
    assert.equal(queue.accepted.length, 1);
    const sent = envelope(queue.accepted[0]?.body ?? '');
    assert.equal(sent.receivedAt, new Date(NOW).toISOString());
    assert.equal(sent.occurredAt, '2026-06-01T12:00:00.000Z');
    assert.equal(queue.accepted[0]?.attributes[MESSAGE_ATTRIBUTES.eventType], 'invoice.paid');
    assert.deepEqual(
      metrics.points.map((p) => p.name),
      ['Received', 'Enqueued'],
    );
  });

  it('routes before anything else: unknown source 404 (bounded metric dimension), other methods 405', async () => {
    const { ingest, metrics } = setup();
    const unknown = await ingest.handle(normaliseHttpEvent(httpV2Event({ path: '/webhooks/random-123' })));
    assert.equal(unknown.statusCode, 404);
    assert.deepEqual(metrics.points[1], {
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

  it('logs dedupe keys as correlation ids and never the body or secrets', async () => {
    const logger = new RecordingLogger();
    const { ingest } = setup({ logger });
    const body = Buffer.from('{"id":"evt_log","type":"t","email":"secret-person@example.com"}');
    await ingest.handle(normaliseHttpEvent(httpV2Event(stripeParts(body))));
    await ingest.handle(
      normaliseHttpEvent(httpV2Event({ ...stripeParts(body), body: Buffer.from('{"tampered":1}') })),
    );
    const text = JSON.stringify(logger.lines);
    assert.ok(logger.lines.some((l) => l.attributes.correlation_id === 'stripe:evt_log'));
    assert.ok(!text.includes('secret-person'));
    assert.ok(!text.includes('tampered'));
    assert.ok(!text.includes(STRIPE_SECRET));
  });

  it('rejects invalid configuration at construction: bad CIDR, bad threshold', () => {
    assert.throws(() =>
      setup({
        sources: new Map([
          ['x', { id: 'x', provider: 'stripe', secretId: 's', allowedCidrs: ['300.0.0.0/8'] }],
        ]),
      }),
    );
    assert.throws(() => setup({ claimCheckThresholdBytes: 2 * 1024 * 1024 }));
  });
});
