import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { SQSClient } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import type { IngestHandler } from '../../../lambdas/ingest/handler';
import type { HttpResponse } from '../../../lambdas/ingest/responses';
import { createSqsClient } from '../../../lambdas/shared/aws-clients';
import type { HttpTriggerEvent } from '../../../lambdas/shared/request';
import { createS3Client } from '../../../lambdas/shared/s3-client';
import { ENV } from '../../../lambdas/shared/schema';
import { useEmulators } from '../../support/emulators';
import { functionUrlEvent, httpV2Event, type RequestParts, restV1Event } from '../../unit/ingest/http-events';
import {
  createResources,
  createSource,
  drain,
  type Resources,
  stripeBody,
  stripeRequest,
  type TestSource,
} from './harness';

const SOURCE_IDS = ['stripe', 'svix', 'hubspot', 'sendgrid', 'guarded', 'tiny'] as const;

/** Header values that look like each scheme's signature headers but are wrong in every way. */
const signatureHeaders = fc.record(
  {
    'Stripe-Signature': fc.oneof(
      fc.string(),
      fc.constantFrom('t=,v1=', 't=1,v1=zz', 't=abc,v1=00', 'v1=00', 't=1', ',,,', 't=1,t=2,v1=ab'),
      fc
        .tuple(
          fc.integer(),
          fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => Buffer.from(a).toString('hex')),
        )
        .map(([t, s]) => `t=${t},v1=${s}`),
    ),
    'webhook-id': fc.string(),
    'webhook-timestamp': fc.oneof(fc.string(), fc.integer().map(String)),
    'webhook-signature': fc.oneof(
      fc.string(),
      fc.base64String().map((s) => `v1,${s}`),
    ),
    'X-HubSpot-Signature-v3': fc.oneof(fc.string(), fc.base64String()),
    'X-HubSpot-Request-Timestamp': fc.oneof(
      fc.string(),
      fc.nat().map(String),
      fc.constant(String(Date.now())),
    ),
    'X-HubSpot-Signature-Version': fc.constantFrom('v1', 'v2', 'v3', 'v9', ''),
    'X-Twilio-Email-Event-Webhook-Signature': fc.oneof(fc.string(), fc.base64String()),
    'X-Twilio-Email-Event-Webhook-Timestamp': fc.oneof(fc.string(), fc.nat().map(String)),
    'Content-Type': fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      '',
    ),
  },
  { requiredKeys: [] },
);

const randomHeaders = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/[\s:]/.test(s)),
  fc.oneof(fc.string(), fc.array(fc.string(), { minLength: 1, maxLength: 3 })),
  { maxKeys: 6 },
);

const body = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
  fc.json().map((j) => Buffer.from(j)),
  fc.constant(Buffer.alloc(0)),
  // Weighted so the `tiny` source's 512-byte limit (413) is reached in every run, not only most runs.
  { weight: 2, arbitrary: fc.integer({ min: 500, max: 4096 }).map((n) => Buffer.alloc(n, '{"a":1}')) },
  fc.constantFrom(
    Buffer.from('[]'),
    Buffer.from('{}'),
    Buffer.from('[{"eventId":1}]'),
    Buffer.from('\u0000\uffff'),
  ),
);

const path = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SOURCE_IDS).map((id) => `/webhooks/${id}`) },
  fc.constant('/webhooks/tiny'),
  fc.string().map((s) => `/webhooks/${encodeURIComponent(s)}`),
  fc.constantFrom(
    '/',
    '',
    '/webhooks',
    '/webhooks/',
    '/webhooks/stripe/extra',
    '/other/stripe',
    '/webhooks/%E0%A4%A',
  ),
);

const requestParts: fc.Arbitrary<RequestParts> = fc.record({
  method: fc.oneof(
    fc.constant('POST'),
    fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'post'),
  ),
  path,
  headers: fc.tuple(signatureHeaders, randomHeaders).map(([a, b]) => ({ ...b, ...a })),
  body,
  base64: fc.boolean(),
  query: fc.oneof(fc.constant(''), fc.webQueryParameters()),
  sourceIp: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()),
});

/** Events no API Gateway would send: missing or mistyped fields. */
const malformedEvents = fc.oneof(
  fc.constant({}),
  fc.constant({ version: '2.0' }),
  fc.constant({ httpMethod: 'POST' }),
  fc.constant({
    httpMethod: 'POST',
    path: '/webhooks/stripe',
    headers: null,
    multiValueHeaders: null,
    body: null,
  }),
  fc.constant({ rawPath: '/webhooks/stripe', requestContext: { http: { method: 'POST' } }, body: 12 }),
  fc.constant({
    rawPath: '/webhooks/stripe',
    requestContext: { http: { method: 'POST', sourceIp: 7 } },
    headers: { 'stripe-signature': ['t=1', 'v1=00'] },
    cookies: 'a=b',
    body: '{"id":"evt"}',
    isBase64Encoded: 'yes',
  }),
  fc.constant({
    httpMethod: 'POST',
    path: '/webhooks/stripe',
    multiValueHeaders: { 'Stripe-Signature': 't=1,v1=00' },
    multiValueQueryStringParameters: { a: 'b' },
    requestContext: { identity: null },
    body: '{}',
  }),
  fc.anything(),
);

function assertJsonClientError(response: HttpResponse): void {
  assert.ok(
    response.statusCode >= 400 && response.statusCode < 500,
    `expected a 4xx, got ${response.statusCode}: ${response.body}`,
  );
  assert.equal(response.headers['content-type'], 'application/json');
  const parsed = JSON.parse(response.body) as { error?: unknown; message?: unknown };
  assert.equal(typeof parsed.error, 'string');
  assert.equal(typeof parsed.message, 'string');
}

describe('bad input: hundreds of malformed requests get JSON 4xx answers, and nothing is queued', () => {
  useEmulators();

  let handler: IngestHandler;
  let sqs: SQSClient;
  let resources: Resources;
  let stripe: TestSource;

  before(async () => {
    sqs = createSqsClient();
    resources = await createResources(sqs, createS3Client());
    stripe = await createSource('stripe', 'stripe');
    const sources = [
      stripe,
      await createSource('svix', 'standard-webhooks'),
      await createSource('hubspot', 'hubspot'),
      await createSource('sendgrid', 'sendgrid'),
      await createSource('guarded', 'stripe', { allowedCidrs: ['10.0.0.0/8', 'fd00::/8'] }),
      await createSource('tiny', 'stripe', { maxBodyBytes: 512 }),
    ];
    Object.assign(process.env, {
      [ENV.sources]: JSON.stringify(sources.map((s) => s.config)),
      [ENV.queueUrl]: resources.queueUrl,
      [ENV.dlqUrl]: resources.dlqUrl,
      [ENV.claimCheckBucket]: resources.bucket,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    ({ handler } = await import('../../../lambdas/ingest/handler'));
  });

  it('generated requests in every event shape (400 runs)', async () => {
    const shapes = fc.constantFrom(restV1Event, httpV2Event, functionUrlEvent);
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(shapes, requestParts, async (build, parts) => {
        const response = await handler(build(parts));
        assertJsonClientError(response);
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      }),
      { numRuns: 400 },
    );
    // The generator must reach every guard, not only the router.
    for (const status of [401, 403, 404, 405, 413]) {
      assert.ok(statuses.has(status), `no ${status} among ${JSON.stringify([...statuses])}`);
    }
  });

  it('correctly signed requests with one mutation each (200 runs)', async () => {
    const mutations = fc.constantFrom(
      'flip-body-byte',
      'drop-signature',
      'old-timestamp',
      'wrong-source',
      'trailing-newline',
      'get',
    );
    await fc.assert(
      fc.asyncProperty(mutations, fc.nat({ max: 1000 }), async (mutation, n) => {
        const original = stripeBody(`evt_mut_${n}`, 200 + n);
        let parts = stripeRequest(stripe, '/webhooks/stripe', original, '');
        if (mutation === 'flip-body-byte') {
          const flipped = Buffer.from(original);
          const at = n % flipped.length;
          flipped[at] = (flipped[at] ?? 0) ^ 0x01;
          parts = { ...parts, body: flipped };
        } else if (mutation === 'drop-signature') {
          parts = { ...parts, headers: { 'Content-Type': 'application/json' } };
        } else if (mutation === 'old-timestamp') {
          const stale = `t=${Math.floor(Date.now() / 1000) - 3600},v1=${'0'.repeat(64)}`;
          parts = { ...parts, headers: { ...parts.headers, 'Stripe-Signature': stale } };
        } else if (mutation === 'wrong-source') {
          parts = { ...parts, path: '/webhooks/svix' };
        } else if (mutation === 'trailing-newline') {
          parts = { ...parts, body: Buffer.concat([original, Buffer.from('\n')]) };
        } else {
          parts = { ...parts, method: 'GET' };
        }
        assertJsonClientError(await handler(httpV2Event(parts)));
      }),
      { numRuns: 200 },
    );
  });

  it('malformed event objects (100 runs) never throw', async () => {
    await fc.assert(
      fc.asyncProperty(malformedEvents, async (event) => {
        assertJsonClientError(await handler(event as HttpTriggerEvent));
      }),
      { numRuns: 100 },
    );
  });

  it('nothing reached the queue or the dead-letter queue', async () => {
    assert.equal((await drain(sqs, resources.queueUrl)).length, 0);
    assert.equal((await drain(sqs, resources.dlqUrl)).length, 0);
  });
});
