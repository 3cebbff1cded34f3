import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { IngestHandler } from '../../../lambdas/ingest/handler';
import { createSqsClient } from '../../../lambdas/shared/aws-clients';
import { FAILURE_ATTRIBUTES, MESSAGE_ATTRIBUTES } from '../../../lambdas/shared/envelope';
import { createS3Client } from '../../../lambdas/shared/s3-client';
import { ENV, QUEUE_DEFAULTS } from '../../../lambdas/shared/schema';
import { DEFAULT_MAX_BODY_BYTES } from '../../../lambdas/shared/source-config';
import { uniqueName, useEmulators } from '../../support/emulators';
import { EVENT_SHAPES, httpV2Event, restV1Event } from '../../unit/ingest/http-events';
import {
  attribute,
  createResources,
  createSource,
  drain,
  envelopeBytes,
  envelopeOf,
  hubspotBatch,
  hubspotRequest,
  type Resources,
  receivedSize,
  sendgridRequest,
  standardWebhooksRequest,
  stripeBody,
  stripeRequest,
  type TestSource,
} from './harness';

const HUBSPOT_PUBLIC_URL = 'https://hooks.example.com/webhooks/hubspot';

describe('ingest handler: real events in, real messages in fauxqs out', () => {
  useEmulators();

  let handler: IngestHandler;
  let sqs: SQSClient;
  let s3: S3Client;
  let resources: Resources;
  let stripe: TestSource;
  let svix: TestSource;
  let hubspot: TestSource;
  let sendgrid: TestSource;
  let guarded: TestSource;
  let small: TestSource;

  before(async () => {
    sqs = createSqsClient();
    s3 = createS3Client();
    resources = await createResources(sqs, s3);
    stripe = await createSource('stripe', 'stripe');
    svix = await createSource('svix', 'standard-webhooks');
    hubspot = await createSource('hubspot', 'hubspot', { publicUrl: HUBSPOT_PUBLIC_URL });
    sendgrid = await createSource('sendgrid', 'sendgrid');
    guarded = await createSource('guarded', 'stripe', { allowedCidrs: ['198.51.100.0/24', '2001:db8::/32'] });
    small = await createSource('small', 'stripe', { maxBodyBytes: 4096 });
    const missingSecret = { id: 'no-secret', provider: 'stripe', secretId: uniqueName('absent') };
    Object.assign(process.env, {
      [ENV.sources]: JSON.stringify([
        ...[stripe, svix, hubspot, sendgrid, guarded, small].map((s) => s.config),
        missingSecret,
      ]),
      [ENV.queueUrl]: resources.queueUrl,
      [ENV.dlqUrl]: resources.dlqUrl,
      [ENV.claimCheckBucket]: resources.bucket,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    // The production entry point, configured from the environment exactly as in Lambda.
    ({ handler } = await import('../../../lambdas/ingest/handler'));
  });

  for (const shape of EVENT_SHAPES) {
    for (const base64 of [false, true]) {
      it(`${shape.name}, ${base64 ? 'base64' : 'plain'} body: 202 and one envelope with the exact bytes`, async () => {
        const path = '/webhooks/stripe';
        const id = `evt_${shape.name.replace(/\W/g, '')}_${base64}`;
        // Non-ASCII bytes prove the body is neither re-encoded nor re-serialised on the way.
        const body = Buffer.from(
          JSON.stringify({
            id,
            type: 'invoice.paid',
            created: 1_700_000_000,
            data: { object: { name: 'Zoë ✓' } },
          }),
        );
        const parts = stripeRequest(stripe, path, body, shape.urlFor(path));
        const response = await handler(
          shape.build({ ...parts, base64, headers: { ...parts.headers, 'User-Agent': 'Stripe/1.0' } }),
        );

        assert.equal(response.statusCode, 202, response.body);
        assert.equal(response.headers['content-type'], 'application/json');
        assert.deepEqual(JSON.parse(response.body), { received: 1, eventIds: [`stripe:${id}`] });

        const [message, ...rest] = await drain(sqs, resources.queueUrl, 1);
        assert.ok(message);
        assert.equal(rest.length, 0);
        const envelope = envelopeOf(message);
        assert.equal(envelope.v, 1);
        assert.equal(envelope.sourceId, 'stripe');
        assert.equal(envelope.provider, 'stripe');
        assert.equal(envelope.dedupeKey, `stripe:${id}`);
        assert.equal(envelope.providerEventId, id);
        assert.equal(envelope.eventType, 'invoice.paid');
        assert.equal(envelope.occurredAt, '2023-11-14T22:13:20.000Z');
        assert.ok(!Number.isNaN(Date.parse(envelope.receivedAt)));
        assert.deepEqual(envelope.headers, {
          'content-type': 'application/json',
          'user-agent': 'Stripe/1.0',
        });
        assert.deepEqual(await envelopeBytes(envelope, s3), body);
        assert.equal(attribute(message, MESSAGE_ATTRIBUTES.sourceId), 'stripe');
        assert.equal(attribute(message, MESSAGE_ATTRIBUTES.provider), 'stripe');
        assert.equal(attribute(message, MESSAGE_ATTRIBUTES.eventType), 'invoice.paid');
        assert.equal(attribute(message, MESSAGE_ATTRIBUTES.dedupeKey), `stripe:${id}`);
      });
    }
  }

  it('Standard Webhooks through an HTTP API: the webhook-id is the dedupe key and signature headers stay out', async () => {
    const path = '/webhooks/svix';
    const body = Buffer.from('{"type":"contact.created","timestamp":"2024-05-01T10:00:00Z","data":{"id":7}}');
    const parts = standardWebhooksRequest(svix, path, body, '', 'msg_2Lh9KDrc');
    const response = await handler(httpV2Event({ ...parts, base64: true }));
    assert.equal(response.statusCode, 202, response.body);
    const [message] = await drain(sqs, resources.queueUrl, 1);
    assert.ok(message);
    const envelope = envelopeOf(message);
    assert.equal(envelope.dedupeKey, 'svix:msg_2Lh9KDrc');
    assert.equal(envelope.eventType, 'contact.created');
    assert.equal(envelope.headers['webhook-id'], 'msg_2Lh9KDrc');
    assert.equal(envelope.headers['webhook-signature'], undefined);
  });

  it('a 100-event HubSpot batch becomes 100 messages with 100 distinct dedupe keys', async () => {
    const body = hubspotBatch(100);
    // The source's publicUrl is what HubSpot signed, whatever host API Gateway reports.
    const parts = hubspotRequest(hubspot, '/webhooks/hubspot', body, HUBSPOT_PUBLIC_URL);
    const response = await handler(httpV2Event(parts));
    assert.equal(response.statusCode, 202, response.body);
    const receipt = JSON.parse(response.body) as { received: number; eventIds: string[] };
    assert.equal(receipt.received, 100);

    const messages = await drain(sqs, resources.queueUrl, 100);
    assert.equal(messages.length, 100);
    const keys = new Set(messages.map((m) => envelopeOf(m).dedupeKey));
    assert.equal(keys.size, 100);
    assert.deepEqual([...keys].sort(), [...receipt.eventIds].sort());
    for (const message of messages) {
      const envelope = envelopeOf(message);
      assert.equal(attribute(message, MESSAGE_ATTRIBUTES.dedupeKey), envelope.dedupeKey);
      assert.equal(envelope.eventType, 'contact.propertyChange');
      const event = JSON.parse((await envelopeBytes(envelope, s3)).toString()) as { eventId: number };
      assert.equal(envelope.dedupeKey, `hubspot:${event.eventId}`);
    }
  });

  it('a SendGrid array becomes one message per event', async () => {
    const body = Buffer.from(
      JSON.stringify(
        ['delivered', 'open', 'click'].map((event, i) => ({
          email: 'a@example.com',
          timestamp: 1_700_000_000 + i,
          event,
          sg_event_id: `sg-${i}`,
          sg_message_id: 'm1',
        })),
      ),
    );
    const response = await handler(restV1Event(sendgridRequest(sendgrid, '/webhooks/sendgrid', body, '')));
    assert.equal(response.statusCode, 202, response.body);
    const messages = await drain(sqs, resources.queueUrl, 3);
    assert.deepEqual(messages.map((m) => envelopeOf(m).dedupeKey).sort(), [
      'sendgrid:sg-0',
      'sendgrid:sg-1',
      'sendgrid:sg-2',
    ]);
  });

  describe('claim check and body cap', () => {
    /** Bytes of the inline envelope beyond the body's base64, measured on a real message. */
    let overhead: number;
    const base64Length = (n: number) => 4 * Math.ceil(n / 3);
    const threshold = QUEUE_DEFAULTS.claimCheckThresholdBytes;

    before(async () => {
      const body = stripeBody('evt_probe_000000', 1000);
      const response = await handler(restV1Event(stripeRequest(stripe, '/webhooks/stripe', body, '')));
      assert.equal(response.statusCode, 202);
      const [message] = await drain(sqs, resources.queueUrl, 1);
      assert.ok(message);
      overhead = receivedSize(message) - base64Length(1000);
    });

    /** The largest body (a multiple of 3) whose inline envelope fits under the threshold. */
    const largestInline = () => Math.floor((threshold - overhead) / 4) * 3;

    it('an envelope just under the threshold stays inline', async () => {
      const body = stripeBody('evt_under_000000', largestInline());
      const response = await handler(restV1Event(stripeRequest(stripe, '/webhooks/stripe', body, '')));
      assert.equal(response.statusCode, 202, response.body);
      const [message] = await drain(sqs, resources.queueUrl, 1);
      assert.ok(message);
      assert.ok(receivedSize(message) <= threshold);
      const envelope = envelopeOf(message);
      assert.equal(envelope.body.kind, 'inline');
      assert.deepEqual(await envelopeBytes(envelope, s3), body);
    });

    it('an envelope just over the threshold is claim-checked in S3 and the pointer queued', async () => {
      const body = stripeBody('evt_over_0000000', largestInline() + 1);
      const response = await handler(restV1Event(stripeRequest(stripe, '/webhooks/stripe', body, '')));
      assert.equal(response.statusCode, 202, response.body);
      const [message] = await drain(sqs, resources.queueUrl, 1);
      assert.ok(message);
      const envelope = envelopeOf(message);
      assert.equal(envelope.body.kind, 's3');
      if (envelope.body.kind !== 's3') return;
      assert.equal(envelope.body.bucket, resources.bucket);
      assert.equal(envelope.body.sizeBytes, body.length);
      assert.match(envelope.body.key, /^stripe\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}$/);
      assert.deepEqual(await envelopeBytes(envelope, s3), body);
      assert.equal(attribute(message, MESSAGE_ATTRIBUTES.dedupeKey), 'stripe:evt_over_0000000');
    });

    it('a body exactly at the default 1 MiB cap is accepted (claim-checked); one byte more is 413', async () => {
      const atCap = stripeBody('evt_cap_00000000', DEFAULT_MAX_BODY_BYTES);
      const ok = await handler(
        httpV2Event({ ...stripeRequest(stripe, '/webhooks/stripe', atCap, ''), base64: true }),
      );
      assert.equal(ok.statusCode, 202, ok.body);
      const [message] = await drain(sqs, resources.queueUrl, 1);
      assert.ok(message);
      assert.deepEqual(await envelopeBytes(envelopeOf(message), s3), atCap);

      const overCap = stripeBody('evt_cap_00000001', DEFAULT_MAX_BODY_BYTES + 1);
      const tooLarge = await handler(
        httpV2Event({ ...stripeRequest(stripe, '/webhooks/stripe', overCap, ''), base64: true }),
      );
      assert.equal(tooLarge.statusCode, 413);
      assert.equal(JSON.parse(tooLarge.body).error, 'payload_too_large');
      assert.equal((await drain(sqs, resources.queueUrl)).length, 0);
    });

    it("a source's own cap applies: at the cap 202, one byte over 413", async () => {
      const at = stripeBody('evt_small_0', 4096);
      const over = stripeBody('evt_small_1', 4097);
      const ok = await handler(restV1Event(stripeRequest(small, '/webhooks/small', at, '')));
      assert.equal(ok.statusCode, 202, ok.body);
      const rejected = await handler(restV1Event(stripeRequest(small, '/webhooks/small', over, '')));
      assert.equal(rejected.statusCode, 413);
      assert.equal((await drain(sqs, resources.queueUrl, 1)).length, 1);
    });
  });

  describe('rejections: JSON errors and nothing queued', () => {
    const body = stripeBody('evt_reject', 200);

    it('unknown source → 404', async () => {
      const response = await handler(httpV2Event(stripeRequest(stripe, '/webhooks/nope', body, '')));
      assert.equal(response.statusCode, 404);
      assert.equal(JSON.parse(response.body).error, 'unknown_source');
    });

    it('GET → 405 with Allow: POST', async () => {
      const response = await handler(
        restV1Event({ ...stripeRequest(stripe, '/webhooks/stripe', body, ''), method: 'GET' }),
      );
      assert.equal(response.statusCode, 405);
      assert.equal(response.headers.allow, 'POST');
      assert.equal(JSON.parse(response.body).error, 'method_not_allowed');
    });

    it('a tampered body → 401 with the reason category and no secret material', async () => {
      const parts = stripeRequest(stripe, '/webhooks/stripe', body, '');
      const response = await handler(httpV2Event({ ...parts, body: Buffer.from(`${body.toString()} `) }));
      assert.equal(response.statusCode, 401);
      const error = JSON.parse(response.body) as { error: string; message: string };
      assert.equal(error.error, 'signature_mismatch');
      assert.ok(!error.message.includes(stripe.signingKey));
    });

    it('two different signature headers (REST multi-value) → 401 duplicate_header', async () => {
      const first = stripeRequest(stripe, '/webhooks/stripe', body, '');
      const second = stripeRequest(stripe, '/webhooks/stripe', stripeBody('evt_other', 200), '');
      const sig = (p: typeof first) => String(p.headers?.['Stripe-Signature']);
      const response = await handler(
        restV1Event({
          ...first,
          headers: { 'Content-Type': 'application/json', 'Stripe-Signature': [sig(first), sig(second)] },
        }),
      );
      assert.equal(response.statusCode, 401);
      assert.equal(JSON.parse(response.body).error, 'duplicate_header');
    });

    it('a caller outside the CIDR allowlist → 403; inside (IPv4 or IPv6) → 202', async () => {
      const parts = stripeRequest(guarded, '/webhooks/guarded', body, '');
      const outside = await handler(httpV2Event({ ...parts, sourceIp: '203.0.113.9' }));
      assert.equal(outside.statusCode, 403);
      assert.equal(JSON.parse(outside.body).error, 'forbidden_ip');
      assert.equal((await drain(sqs, resources.queueUrl)).length, 0);
      const v4 = await handler(restV1Event({ ...parts, sourceIp: '198.51.100.77' }));
      assert.equal(v4.statusCode, 202, v4.body);
      const v6 = await handler(httpV2Event({ ...parts, sourceIp: '2001:db8:1::5' }));
      assert.equal(v6.statusCode, 202, v6.body);
      assert.equal((await drain(sqs, resources.queueUrl, 2)).length, 2);
    });

    it('an unreadable secret → 503 secret_unavailable', async () => {
      const response = await handler(httpV2Event(stripeRequest(stripe, '/webhooks/no-secret', body, '')));
      assert.equal(response.statusCode, 503);
      assert.equal(JSON.parse(response.body).error, 'secret_unavailable');
    });

    it('nothing reached the queue', async () => {
      assert.equal((await drain(sqs, resources.queueUrl)).length, 0);
    });
  });

  it('an authentic but unusable payload goes to the DLQ with failure attributes and gets 202', async () => {
    const body = Buffer.from('this is not JSON');
    const response = await handler(httpV2Event(stripeRequest(stripe, '/webhooks/stripe', body, '')));
    assert.equal(response.statusCode, 202, response.body);
    assert.deepEqual(JSON.parse(response.body), { received: 0, eventIds: [], deadLettered: true });
    assert.equal((await drain(sqs, resources.queueUrl)).length, 0);
    const [dead] = await drain(sqs, resources.dlqUrl, 1);
    assert.ok(dead);
    assert.equal(attribute(dead, FAILURE_ATTRIBUTES.failureClass), 'unusable_payload');
    assert.equal(attribute(dead, FAILURE_ATTRIBUTES.failedBy), 'ingest');
    assert.ok(attribute(dead, FAILURE_ATTRIBUTES.failureMessage));
    assert.ok(attribute(dead, FAILURE_ATTRIBUTES.failedAt));
    const envelope = envelopeOf(dead);
    assert.match(envelope.dedupeKey, /^stripe:sha256:[0-9a-f]{64}$/);
    assert.deepEqual(await envelopeBytes(envelope, s3), body);
  });
});
