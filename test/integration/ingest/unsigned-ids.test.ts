/**
 * Issue 13, breach 2: a replay of captured signed bytes with a fresh *unsigned* id (or a rewritten unsigned
 * topic) must be the same event, through the real ingest handler on the emulators, and, for Shopify, all
 * the way through the real processor into the CDP stand-in. Also issue 14's Klaviyo part: a delivery in
 * the documented format (HTTP-date `Klaviyo-Timestamp`) is accepted, a stale one refused.
 */
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { IngestHandler } from '../../../lambdas/ingest/handler';
import { createSqsClient } from '../../../lambdas/shared/aws-clients';
import { createS3Client } from '../../../lambdas/shared/s3-client';
import { ENV } from '../../../lambdas/shared/schema';
import { signGithub, signKlaviyo, signLinear, signShopify, signTwilio } from '../../../local/signers';
import { httpV2Event } from '../../unit/ingest/http-events';
import { useHarness } from '../processor/harness';
import { createResources, createSource, drain, envelopeOf, type Resources, type TestSource } from './harness';

const TWILIO_URL = 'https://hooks.example.com/webhooks/twilio';
const hmacHex = (key: string, ...parts: (string | Buffer)[]) => {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest('hex');
};

interface Answer {
  readonly status: number;
  readonly eventIds: readonly string[];
  readonly dedupeKeys: readonly string[];
  readonly bodies: readonly string[];
}

describe('replays with fresh unsigned ids or topics are the same event (issue 13, breach 2)', () => {
  // The processor harness (its own queue, table and CDP stand-in) also starts the emulators.
  const h = useHarness();
  let handler: IngestHandler;
  let sqs: SQSClient;
  let s3: S3Client;
  let resources: Resources;
  const sources: Record<string, TestSource> = {};

  before(async () => {
    sqs = createSqsClient();
    s3 = createS3Client();
    resources = await createResources(sqs, s3);
    sources.shopify = await createSource('shopify', 'shopify');
    sources.github = await createSource('github', 'github');
    sources.twilio = await createSource('twilio', 'twilio', { publicUrl: TWILIO_URL });
    sources.linear = await createSource('linear', 'linear');
    sources.mailgun = await createSource('mailgun', 'mailgun');
    sources.klaviyo = await createSource('klaviyo', 'klaviyo');
    sources.generic = await createSource('generic', 'generic-hmac', {
      options: {
        signatureHeader: 'X-Webhook-Signature',
        algorithm: 'sha256',
        encoding: 'hex',
        idHeader: 'X-Webhook-Id',
        typeHeader: 'X-Webhook-Event',
      },
    });
    Object.assign(process.env, {
      [ENV.sources]: JSON.stringify(Object.values(sources).map((s) => s.config)),
      [ENV.queueUrl]: resources.queueUrl,
      [ENV.dlqUrl]: resources.dlqUrl,
      [ENV.claimCheckBucket]: resources.bucket,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    ({ handler } = await import('../../../lambdas/ingest/handler'));
  });

  /** One delivery through the production handler; what it answered and what it queued. */
  async function post(
    sourceId: string,
    body: Buffer,
    headers: Record<string, string>,
    query?: string,
  ): Promise<Answer> {
    const response = await handler(
      httpV2Event({ path: `/webhooks/${sourceId}`, body, headers, ...(query ? { query } : {}) }),
    );
    const parsed = JSON.parse(response.body) as { eventIds?: string[] };
    const messages = response.statusCode === 202 ? await drain(sqs, resources.queueUrl, 1) : [];
    return {
      status: response.statusCode,
      eventIds: parsed.eventIds ?? [],
      dedupeKeys: messages.map((m) => envelopeOf(m).dedupeKey),
      bodies: messages.map((m) => m.Body ?? ''),
    };
  }

  /** The genuine delivery, the replay, and a genuinely different event: keys equal, equal, distinct. */
  function assertReplayAbsorbed(genuine: Answer, replay: Answer, different: Answer): void {
    for (const answer of [genuine, replay, different])
      assert.equal(answer.status, 202, String(answer.eventIds));
    assert.equal(genuine.dedupeKeys.length, 1);
    assert.deepEqual(replay.dedupeKeys, genuine.dedupeKeys, 'the replay carries the same dedupe key');
    assert.deepEqual(replay.eventIds, genuine.eventIds);
    assert.notDeepEqual(different.dedupeKeys, genuine.dedupeKeys, 'a different event keeps its own key');
  }

  function shopifyDelivery(orderId: number, topic: string, eventId: string) {
    const body = Buffer.from(
      JSON.stringify({
        id: orderId,
        admin_graphql_api_id: `gid://shopify/Order/${orderId}`,
        email: `buyer-${orderId}@example.com`,
        created_at: '2026-01-01T10:00:00-05:00',
        updated_at: '2026-01-01T10:00:05-05:00',
        total_price: '199.00',
        currency: 'USD',
        line_items: [{ id: 1 }, { id: 2 }],
        customer: { email: `buyer-${orderId}@example.com`, orders_count: 1, total_spent: '199.00' },
      }),
    );
    const key = sources.shopify?.signingKey ?? '';
    const headers = {
      'Content-Type': 'application/json',
      'X-Shopify-Topic': topic,
      'X-Shopify-Shop-Domain': 'shop.myshopify.com',
      'X-Shopify-API-Version': '2024-07',
      'X-Shopify-Webhook-Id': randomUUID(),
      'X-Shopify-Event-Id': eventId,
      'X-Shopify-Triggered-At': new Date().toISOString(),
      ...signShopify({ body, url: '', signingKey: key }).headers,
    };
    return { body, headers };
  }

  it('Shopify: a fresh X-Shopify-Event-Id / Webhook-Id, or a rewritten topic, is the same event', async () => {
    const orderId = 7_000_000_000_000 + Math.floor(Math.random() * 1e9);
    const first = shopifyDelivery(orderId, 'orders/create', randomUUID());
    const genuine = await post('shopify', first.body, first.headers);
    const replay = await post('shopify', first.body, {
      ...first.headers,
      'X-Shopify-Event-Id': randomUUID(),
      'X-Shopify-Webhook-Id': randomUUID(),
    });
    const retopic = await post('shopify', first.body, {
      ...first.headers,
      'X-Shopify-Event-Id': randomUUID(),
      'X-Shopify-Topic': 'orders/paid',
    });
    assert.deepEqual(retopic.dedupeKeys, genuine.dedupeKeys);
    const other = shopifyDelivery(orderId + 1, 'orders/create', randomUUID());
    assertReplayAbsorbed(genuine, replay, await post('shopify', other.body, other.headers));
  });

  it('Shopify end to end: a replay with a fresh event id and a rewritten topic leaves one orders row', async () => {
    const orderId = 8_000_000_000_000 + Math.floor(Math.random() * 1e9);
    const email = `buyer-${orderId}@example.com`;
    const delivery = shopifyDelivery(orderId, 'orders/create', randomUUID());
    const answers = [
      await post('shopify', delivery.body, delivery.headers),
      await post('shopify', delivery.body, { ...delivery.headers, 'X-Shopify-Event-Id': randomUUID() }),
      await post('shopify', delivery.body, {
        ...delivery.headers,
        'X-Shopify-Event-Id': randomUUID(),
        'X-Shopify-Topic': 'orders/paid',
      }),
    ];
    // What the ingest queued goes to the real processor, as the event source mapping would deliver it.
    for (const answer of answers) {
      assert.equal(answer.status, 202);
      for (const body of answer.bodies) await h.send(body);
    }
    await h.drain();
    const rows = h.standIn.records('orders').filter((o) => o.customer_email === email);
    assert.equal(rows.length, 1, 'one orders row for one order');
    const orderWrites = h.standIn.requests.filter(
      (r) => r.object === 'orders' && r.record?.customer_email === email && !r.replayed && r.status < 300,
    );
    assert.equal(orderWrites.length, 1, 'one effective orders write');
    assert.equal(h.standIn.record('profiles', email)?.order_count, 1);
  });

  it('GitHub: a fresh X-GitHub-Delivery or another X-GitHub-Event is the same event', async () => {
    const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: randomUUID(), commits: [] }));
    const key = sources.github?.signingKey ?? '';
    const headers = (delivery: string, event = 'push') => ({
      'Content-Type': 'application/json',
      'X-GitHub-Event': event,
      'X-GitHub-Delivery': delivery,
      ...signGithub({ body, url: '', signingKey: key }).headers,
    });
    const genuine = await post('github', body, headers(randomUUID()));
    const replay = await post('github', body, headers(randomUUID()));
    const renamed = await post('github', body, headers(randomUUID(), 'release'));
    assert.deepEqual(renamed.dedupeKeys, genuine.dedupeKeys);
    const otherBody = Buffer.from(
      JSON.stringify({ ref: 'refs/heads/main', after: randomUUID(), commits: [] }),
    );
    const different = await post('github', otherBody, {
      'Content-Type': 'application/json',
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': randomUUID(),
      ...signGithub({ body: otherBody, url: '', signingKey: key }).headers,
    });
    assertReplayAbsorbed(genuine, replay, different);
  });

  it('Twilio: a fresh I-Twilio-Idempotency-Token, or the same parameters reordered, is the same event', async () => {
    const key = sources.twilio?.signingKey ?? '';
    const form = (status: string) =>
      Buffer.from(`AccountSid=AC1&Body=hi+there&From=%2B15005550006&SmsStatus=${status}&To=%2B15551234567`);
    const headers = (body: Buffer, token: string) => ({
      'Content-Type': 'application/x-www-form-urlencoded',
      'I-Twilio-Idempotency-Token': token,
      ...signTwilio({ body, url: TWILIO_URL, signingKey: key }).headers,
    });
    const body = form('received');
    const genuine = await post('twilio', body, headers(body, randomUUID()));
    const replay = await post('twilio', body, headers(body, randomUUID()));
    // Twilio signs the sorted, decoded parameters: the same ones reordered and re-encoded still verify.
    const reordered = Buffer.from(
      'To=%2B15551234567&SmsStatus=received&From=%2B15005550006&Body=hi%20there&AccountSid=AC1',
    );
    const reorderedAnswer = await post('twilio', reordered, {
      ...headers(body, randomUUID()),
    });
    assert.equal(reorderedAnswer.status, 202);
    assert.deepEqual(reorderedAnswer.dedupeKeys, genuine.dedupeKeys);
    const other = form('delivered');
    assertReplayAbsorbed(genuine, replay, await post('twilio', other, headers(other, randomUUID())));
  });

  it("Linear: a fresh Linear-Delivery is the same event, and so is Linear's re-signed retry", async () => {
    const key = sources.linear?.signingKey ?? '';
    const issue = randomUUID();
    const createdAt = new Date().toISOString();
    const bodyAt = (webhookTimestamp: number, action = 'create') =>
      Buffer.from(
        JSON.stringify({
          action,
          type: 'Issue',
          createdAt,
          data: { id: issue },
          webhookId: 'wh-1',
          webhookTimestamp,
        }),
      );
    const headers = (body: Buffer, delivery: string) => ({
      'Content-Type': 'application/json',
      'Linear-Delivery': delivery,
      'Linear-Event': 'Issue',
      ...signLinear({ body, url: '', signingKey: key }).headers,
    });
    const now = Date.now();
    const body = bodyAt(now);
    const genuine = await post('linear', body, headers(body, randomUUID()));
    const replay = await post('linear', body, headers(body, randomUUID()));
    const retryBody = bodyAt(now + 1000);
    const retry = await post('linear', retryBody, headers(retryBody, randomUUID()));
    assert.equal(retry.status, 202);
    assert.deepEqual(retry.dedupeKeys, genuine.dedupeKeys, "Linear's retry is absorbed");
    const other = bodyAt(now, 'update');
    assertReplayAbsorbed(genuine, replay, await post('linear', other, headers(other, randomUUID())));
  });

  it('generic HMAC: an id header outside the signed template names nothing', async () => {
    const key = sources.generic?.signingKey ?? '';
    const headers = (body: Buffer, id: string, event = 'order.paid') => ({
      'Content-Type': 'application/json',
      'X-Webhook-Id': id,
      'X-Webhook-Event': event,
      'X-Webhook-Signature': hmacHex(key, body),
    });
    const body = Buffer.from(JSON.stringify({ order: randomUUID(), amount: 5 }));
    const genuine = await post('generic', body, headers(body, randomUUID()));
    const replay = await post('generic', body, headers(body, randomUUID(), 'order.refunded'));
    const other = Buffer.from(JSON.stringify({ order: randomUUID(), amount: 5 }));
    assertReplayAbsorbed(genuine, replay, await post('generic', other, headers(other, randomUUID())));
  });

  it('Mailgun: the signed token, not the unsigned event data, names the event', async () => {
    const key = sources.mailgun?.signingKey ?? '';
    const signed = (token: string) => {
      const timestamp = String(Math.floor(Date.now() / 1000));
      return { timestamp, token, signature: hmacHex(key, timestamp, token) };
    };
    const deliver = (signature: object, id: string) =>
      post(
        'mailgun',
        Buffer.from(JSON.stringify({ signature, 'event-data': { id, event: 'delivered', timestamp: 1 } })),
        { 'Content-Type': 'application/json' },
      );
    const signature = signed(randomUUID().replace(/-/g, ''));
    const genuine = await deliver(signature, 'evt-1');
    const replay = await deliver(signature, `forged-${randomUUID()}`);
    const different = await deliver(signed(randomUUID().replace(/-/g, '')), 'evt-2');
    assertReplayAbsorbed(genuine, replay, different);
  });

  const klaviyoDelivery = (sentAtMs: number, headerAtMs: number) => {
    const body = Buffer.from(
      JSON.stringify({
        data: [{ topic: 'event:klaviyo.opened_email', external_id: randomUUID(), payload: {} }],
        meta: {
          klaviyo_account_id: 'AbC123',
          klaviyo_webhook_id: 'wh-doc',
          timestamp: new Date(sentAtMs).toISOString().replace('Z', '101+00:00'),
          version: '2024-10-15',
        },
      }),
    );
    const signed = signKlaviyo({
      body,
      url: '',
      signingKey: sources.klaviyo?.signingKey ?? '',
      nowMs: headerAtMs,
    });
    return httpV2Event({
      path: '/webhooks/klaviyo',
      body,
      headers: { 'Content-Type': 'application/json', 'Klaviyo-Webhook-Id': 'wh-doc', ...signed.headers },
    });
  };

  it('Klaviyo (issue 14): an HTTP-date Klaviyo-Timestamp hours off real time is accepted; a stale meta.timestamp is refused', async () => {
    const now = Date.now();
    const fresh = klaviyoDelivery(now, now + 5 * 3600_000);
    assert.match(String(fresh.headers['klaviyo-timestamp'] ?? fresh.headers['Klaviyo-Timestamp']), / GMT$/);
    const accepted = await handler(fresh);
    assert.equal(accepted.statusCode, 202, accepted.body);
    assert.equal((await drain(sqs, resources.queueUrl, 1)).length, 1);
    const stale = await handler(klaviyoDelivery(now - 3600_000, now));
    assert.equal(stale.statusCode, 401, stale.body);
    assert.equal(JSON.parse(stale.body).error, 'timestamp_too_old');
  });
});
