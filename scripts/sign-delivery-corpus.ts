/**
 * Writes the delivery corpus, test/fixtures/deliveries/<provider>/<name>.json: the example requests the
 * providers' own documentation shows, one file per delivery (format: test/fixtures/deliveries/README.md).
 *
 * Three kinds of entry, named in each file's `source`:
 * - `docs-with-signature`: the provider published the secret, the signed request and the signature (in its
 *   docs, or in the test vectors of its official SDK); copied as published, and it must verify at its
 *   documented time.
 * - `sdk-signed`: the docs show the request but no secret; signed here by the provider's official SDK.
 * - `algorithm-signed`: the docs show the request, the provider has no SDK that signs; signed here with
 *   the documented algorithm on node:crypto.
 * Header spellings and formats are always the documented ones; only signatures are computed.
 *
 * Run `npx tsx scripts/sign-delivery-corpus.ts && npm run format` after changing an entry here (Biome
 * lays the JSON out; it never changes a string, and each file's `bodySha256` proves the body survived).
 * Signatures are deterministic (fixed secrets, timestamps and Ed25519 seed), so an unchanged entry
 * rewrites the same file.
 */
import { createHash, createHmac, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hmacValidator as AdyenHmacValidator } from '@adyen/api-library';
import { Signature } from '@hubspot/api-client';
import { sign as octokitSign } from '@octokit/webhooks-methods';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import twilio from 'twilio';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'deliveries');

type Source = 'docs-with-signature' | 'sdk-signed' | 'algorithm-signed';

interface Tamper {
  /** Replace the first occurrence of `find` in the body (default: the body's middle byte is changed). */
  readonly body?: { readonly find: string; readonly replace: string };
  /** Replace a header's value (schemes that authenticate a credential, not the body). */
  readonly header?: readonly [string, string];
  /** Replace the first occurrence of `find` in the URL. */
  readonly url?: { readonly find: string; readonly replace: string };
}

interface Delivery {
  readonly provider: string;
  readonly name: string;
  readonly provenance: string;
  readonly source: Source;
  readonly signedWith?: string;
  readonly method?: string;
  readonly url: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
  readonly secrets: readonly string[];
  readonly options?: Readonly<Record<string, unknown>>;
  readonly verifyAtMs: number;
  readonly tamper?: Tamper;
  readonly expect: {
    readonly count: number;
    readonly events: readonly { id: string | null; type: string }[];
  };
  readonly todo?: string;
  readonly notes?: string;
}

const hmacHex = (alg: 'sha1' | 'sha256', key: string | Buffer, ...parts: string[]) => {
  const mac = createHmac(alg, key);
  for (const part of parts) mac.update(part);
  return mac.digest('hex');
};
const hmacB64 = (alg: 'sha1' | 'sha256', key: string | Buffer, ...parts: string[]) => {
  const mac = createHmac(alg, key);
  for (const part of parts) mac.update(part);
  return mac.digest('base64');
};
const json = (value: unknown) => JSON.stringify(value);
const form = (fields: readonly (readonly [string, string])[]) =>
  new URLSearchParams(fields.map(([name, value]): [string, string] => [name, value])).toString();

/** A fixed Ed25519 key (from a fixed seed) so Discord entries are reproducible. */
function ed25519FromSeed(seedHex: string) {
  const privateKey = createPrivateKey({
    key: Buffer.from(`302e020100300506032b657004220420${seedHex}`, 'hex'),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return { privateKey, publicHex: spki.subarray(spki.length - 32).toString('hex') };
}

const deliveries: Delivery[] = [];
const add = (d: Delivery) => deliveries.push(d);

// ---------------------------------------------------------------- Stripe
{
  const secret = 'whsec_corpus0stripe0example0secret0000';
  const t = 1492774577; // the timestamp of the docs' example Stripe-Signature header
  const body = json({
    id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy',
    object: 'event',
    api_version: '2019-02-19',
    created: 1686089970,
    data: {
      object: {
        id: 'seti_1NG8Du2eZvKYlo2C9XMqbR0x',
        object: 'setup_intent',
        customer: null,
        livemode: false,
        payment_method_types: ['acss_debit'],
        status: 'requires_payment_method',
        usage: 'off_session',
      },
    },
    livemode: false,
    pending_webhooks: 0,
    request: { id: null, idempotency_key: null },
    type: 'setup_intent.created',
  });
  const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: t });
  add({
    provider: 'stripe',
    name: 'setup-intent-created',
    provenance:
      'Stripe docs, "Receive Stripe events in your webhook endpoint" > "Verify signatures manually" (Stripe-Signature example with t, v1 and a test-mode v0) and API reference "The Event object" (example event)',
    source: 'sdk-signed',
    signedWith: 'stripe webhooks.generateTestHeaderString',
    url: 'https://hooks.example.com/webhooks/stripe',
    headers: [
      ['Content-Type', 'application/json; charset=utf-8'],
      ['User-Agent', 'Stripe/1.0 (+https://stripe.com/docs/webhooks)'],
      // The docs' header carries a legacy v0 signature as well; receivers must ignore it.
      ['Stripe-Signature', `${header},v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39`],
    ],
    body,
    secrets: [secret],
    verifyAtMs: t * 1000,
    expect: { count: 1, events: [{ id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy', type: 'setup_intent.created' }] },
  });
}

// ---------------------------------------------------------------- Standard Webhooks / Svix
{
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const ts = '1614265330';
  const body = '{"test": 2432232314}';
  const signature = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
  add({
    provider: 'standard-webhooks',
    name: 'spec-test-vector',
    provenance:
      'Standard Webhooks specification (standard-webhooks/standard-webhooks, spec/standard-webhooks.md) > "Signature scheme", and the reference libraries\' shared test vector',
    source: 'docs-with-signature',
    url: 'https://hooks.example.com/webhooks/standard',
    headers: [
      ['content-type', 'application/json'],
      ['webhook-id', id],
      ['webhook-timestamp', ts],
      ['webhook-signature', signature],
    ],
    body,
    secrets: [secret],
    verifyAtMs: Number(ts) * 1000,
    expect: { count: 1, events: [{ id, type: 'unknown' }] },
  });
  add({
    provider: 'standard-webhooks',
    name: 'svix-docs-example',
    provenance:
      'Svix docs, "Verifying Webhooks Manually" > "How to verify" (the same example with svix-id, svix-timestamp and svix-signature headers)',
    source: 'docs-with-signature',
    url: 'https://hooks.example.com/webhooks/svix',
    headers: [
      ['content-type', 'application/json'],
      ['svix-id', id],
      ['svix-timestamp', ts],
      ['svix-signature', signature],
    ],
    body,
    secrets: [secret],
    verifyAtMs: Number(ts) * 1000,
    expect: { count: 1, events: [{ id, type: 'unknown' }] },
  });
  // Rotation as the spec shows it: a space-separated list, one signature per active secret.
  const newer = 'whsec_Y29ycHVzLXN0YW5kYXJkLXdlYmhvb2tzLW5ldw==';
  const older = 'whsec_Y29ycHVzLXN0YW5kYXJkLXdlYmhvb2tzLW9sZA==';
  const rotId = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const rotTs = 1674087231;
  const rotBody = json({
    type: 'invoice.paid',
    timestamp: '2023-01-19T00:13:51.000Z',
    data: { invoice_id: 'inv_2KWPBg', amount: 4900, currency: 'USD' },
  });
  const signWith = (s: string) => new StandardWebhook(s).sign(rotId, new Date(rotTs * 1000), rotBody);
  add({
    provider: 'standard-webhooks',
    name: 'rotation-two-signatures',
    provenance:
      'Standard Webhooks specification > "Signature scheme" (several space-delimited signatures during key rotation) and "Webhook headers"',
    source: 'sdk-signed',
    signedWith: 'standardwebhooks Webhook.sign, once per secret',
    url: 'https://hooks.example.com/webhooks/standard',
    headers: [
      ['content-type', 'application/json'],
      ['webhook-id', rotId],
      ['webhook-timestamp', String(rotTs)],
      ['webhook-signature', `${signWith(newer)} ${signWith(older)}`],
    ],
    body: rotBody,
    // The receiver has not yet learnt the new secret: the old one's signature must still be found.
    secrets: [older],
    verifyAtMs: rotTs * 1000,
    expect: { count: 1, events: [{ id: rotId, type: 'invoice.paid' }] },
  });
}

// ---------------------------------------------------------------- GitHub
{
  const deliveryHeaders: [string, string][] = [
    ['X-GitHub-Delivery', '72d3162e-cc78-11e3-81ab-4c9367dc0958'],
    ['X-GitHub-Event', 'issues'],
    ['X-GitHub-Hook-ID', '292430182'],
    ['X-GitHub-Hook-Installation-Target-ID', '79929171'],
    ['X-GitHub-Hook-Installation-Target-Type', 'repository'],
    ['User-Agent', 'GitHub-Hookshot/044aadd'],
  ];
  add({
    provider: 'github',
    name: 'docs-test-values',
    provenance:
      'GitHub docs, "Validating webhook deliveries" > "Testing the webhook payload validation" (secret, payload and X-Hub-Signature-256), with the delivery headers of "Webhook events and payloads" > "Delivery headers" example',
    source: 'docs-with-signature',
    url: 'https://hooks.example.com/webhooks/github',
    headers: [
      ...deliveryHeaders,
      ['Content-Type', 'application/json'],
      ['X-Hub-Signature-256', 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'],
    ],
    body: 'Hello, World!',
    secrets: ["It's a Secret to Everybody"],
    verifyAtMs: Date.UTC(2024, 0, 1),
    expect: {
      count: 1,
      events: [
        {
          id: 'github-body:dffd6021bb2bd5b0af676290809ec3a53191dd81c7f70a4b28688a362182986f',
          type: 'issues',
        },
      ],
    },
  });
  const secret = 'corpus-github-webhook-secret';
  const body = json({
    action: 'opened',
    issue: {
      url: 'https://api.github.com/repos/octocat/Hello-World/issues/1347',
      number: 1347,
      title: 'Found a bug',
      state: 'open',
      user: { login: 'octocat', id: 1 },
    },
    repository: { id: 1296269, full_name: 'octocat/Hello-World', owner: { login: 'octocat', id: 1 } },
    sender: { login: 'octocat', id: 1 },
  });
  add({
    provider: 'github',
    name: 'issues-opened',
    provenance:
      'GitHub docs, "Webhook events and payloads" > "Delivery headers" (example delivery: headers and an issues.opened payload, abridged)',
    source: 'sdk-signed',
    signedWith: '@octokit/webhooks-methods sign (sha256); X-Hub-Signature by the documented HMAC-SHA1',
    url: 'https://hooks.example.com/webhooks/github',
    headers: [
      ...deliveryHeaders,
      ['Content-Type', 'application/json'],
      ['X-Hub-Signature', `sha1=${hmacHex('sha1', secret, body)}`],
      ['X-Hub-Signature-256', await octokitSign(secret, body)],
    ],
    body,
    secrets: [secret],
    verifyAtMs: Date.UTC(2024, 0, 1),
    expect: {
      count: 1,
      events: [
        {
          id: 'github-body:3b3f2aaca09dd05c6caf3f177e403e626f878f3f6af6838502f85ea4d9295f1d',
          type: 'issues.opened',
        },
      ],
    },
  });
}

// ---------------------------------------------------------------- Shopify
{
  const secret = 'corpus-shopify-client-secret';
  const body = json({
    id: 450789469,
    admin_graphql_api_id: 'gid://shopify/Order/450789469',
    email: 'jon@example.com',
    created_at: '2023-03-29T14:00:27-04:00',
    currency: 'USD',
    total_price: '403.00',
    financial_status: 'paid',
    name: '#9999',
    customer: { id: 207119551, email: 'john@example.com', first_name: 'John', last_name: 'Smith' },
    line_items: [{ id: 466157049, title: 'IPod Nano - 8GB', quantity: 1, price: '199.00' }],
  });
  add({
    provider: 'shopify',
    name: 'orders-create',
    provenance:
      'Shopify docs, "About webhooks" / "Deliver webhooks through HTTPS" > "Headers" (example X-Shopify-* delivery headers) and the orders/create example payload of the Webhooks reference (abridged)',
    source: 'algorithm-signed',
    signedWith:
      'documented HMAC-SHA256 base64 of the body (@shopify/shopify-api only validates; the differential tests use it as oracle)',
    url: 'https://hooks.example.com/webhooks/shopify',
    headers: [
      ['Content-Type', 'application/json'],
      ['X-Shopify-Topic', 'orders/create'],
      ['X-Shopify-Hmac-Sha256', hmacB64('sha256', secret, body)],
      ['X-Shopify-Shop-Domain', 'example-shop.myshopify.com'],
      ['X-Shopify-API-Version', '2024-07'],
      ['X-Shopify-Webhook-Id', 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043'],
      ['X-Shopify-Triggered-At', '2023-03-29T18:00:27.877041743Z'],
      ['X-Shopify-Event-Id', '98880550-7158-44d4-b7cd-2c97c8a091b5'],
    ],
    body,
    secrets: [secret],
    verifyAtMs: Date.UTC(2023, 2, 29, 18, 0, 28),
    expect: {
      count: 1,
      events: [
        {
          id: 'shopify-body:e4e9f6f1594cb33723f0197b0a5ee180b6c53a9f0f0c5ac14b0ac03d0f7aa04a',
          type: 'orders/create',
        },
      ],
    },
  });
}

// ---------------------------------------------------------------- HubSpot
{
  const docSecret = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
  add({
    provider: 'hubspot',
    name: 'v1-docs-example',
    provenance:
      'HubSpot docs, "Validating requests from HubSpot" > "Validate requests using the v1 request signature" (example for a request with a body)',
    source: 'docs-with-signature',
    url: 'https://www.example.com/webhook_uri',
    headers: [
      ['Content-Type', 'application/json'],
      ['X-HubSpot-Signature', '232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de'],
      ['X-HubSpot-Signature-Version', 'v1'],
    ],
    body: '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]',
    secrets: [docSecret],
    // A v1 signature alone has no timestamp: only a source that opts in accepts it (hubspot.ts).
    options: { allowLegacySignatures: true },
    verifyAtMs: 1564113600000,
    expect: { count: 1, events: [{ id: '1', type: 'contact.creation' }] },
  });
  const secret = 'corpus-hubspot-client-secret';
  const url = 'https://hooks.example.com/webhooks/hubspot';
  const timestamp = 1462216308000;
  const body = json([
    {
      objectId: 1246965,
      propertyName: 'lifecyclestage',
      propertyValue: 'subscriber',
      changeSource: 'ACADEMY',
      eventId: 3816279340,
      subscriptionId: 25,
      portalId: 33,
      appId: 1160452,
      occurredAt: 1462216307945,
      subscriptionType: 'contact.propertyChange',
      attemptNumber: 0,
    },
    {
      objectId: 1246978,
      changeSource: 'IMPORT',
      eventId: 3816279480,
      subscriptionId: 22,
      portalId: 33,
      appId: 1160452,
      occurredAt: 1462216307945,
      subscriptionType: 'contact.creation',
      attemptNumber: 0,
    },
  ]);
  // getSignature's options type also asks for the signature it is about to compute: '' stands in.
  const v3 = Signature.getSignature('POST', 'v3', {
    signature: '',
    clientSecret: secret,
    requestBody: body,
    url,
    timestamp,
  });
  const v1 = Signature.getSignature('POST', 'v1', { signature: '', clientSecret: secret, requestBody: body });
  add({
    provider: 'hubspot',
    name: 'v3-contact-batch',
    provenance:
      'HubSpot docs, "Webhooks API" > "Webhook payloads" (example batch of two events) and "Validating requests from HubSpot" (v3 headers, plus the v1 X-HubSpot-Signature and X-HubSpot-Signature-Version: v1 that webhook requests also carry)',
    source: 'sdk-signed',
    signedWith: '@hubspot/api-client Signature.getSignature (v3 and v1)',
    url,
    headers: [
      ['Content-Type', 'application/json'],
      ['X-HubSpot-Signature', v1],
      ['X-HubSpot-Signature-Version', 'v1'],
      ['X-HubSpot-Signature-v3', v3],
      ['X-HubSpot-Request-Timestamp', String(timestamp)],
    ],
    body,
    secrets: [secret],
    verifyAtMs: timestamp + 1000,
    expect: {
      count: 2,
      events: [
        { id: '3816279340', type: 'contact.propertyChange' },
        { id: '3816279480', type: 'contact.creation' },
      ],
    },
  });
}

// ---------------------------------------------------------------- Segment
{
  const secret = 'corpus-segment-shared-secret';
  const body = json({
    anonymousId: '23adfd82-aa0f-45a7-a756-24f2a7a4c895',
    context: {
      library: { name: 'analytics.js', version: '2.11.1' },
      page: { path: '/academy/', url: 'https://segment.com/academy/', title: 'Analytics Academy' },
      ip: '108.0.78.21',
    },
    event: 'Course Clicked',
    messageId: 'ajs-f8ca1e4de5024d9430b3928bd8ac6b96',
    properties: { title: 'Intro to Analytics' },
    receivedAt: '2015-12-12T19:11:01.266Z',
    sentAt: '2015-12-12T19:11:01.169Z',
    timestamp: '2015-12-12T19:11:01.249Z',
    type: 'track',
    userId: 'AiUGstSDIg',
    originalTimestamp: '2015-12-12T19:11:01.152Z',
  });
  add({
    provider: 'segment',
    name: 'track',
    provenance:
      'Segment docs, "Webhooks Destination" > "Authentication" (X-Signature: hex HMAC-SHA1 of the body with the shared secret) and Segment Spec "Track" > "Example" (payload)',
    source: 'algorithm-signed',
    signedWith: 'documented HMAC-SHA1 hex of the body (no Segment SDK signs)',
    url: 'https://hooks.example.com/webhooks/segment',
    headers: [
      ['Content-Type', 'application/json'],
      ['User-Agent', 'Segment.io/1.0'],
      ['X-Signature', hmacHex('sha1', secret, body)],
    ],
    body,
    secrets: [secret],
    verifyAtMs: Date.UTC(2015, 11, 12, 19, 11, 2),
    expect: { count: 1, events: [{ id: 'ajs-f8ca1e4de5024d9430b3928bd8ac6b96', type: 'track' }] },
  });
}

// ---------------------------------------------------------------- Klaviyo
{
  const secret = 'corpus-klaviyo-webhook-secret-0001';
  const timestamp = 'Thu, 04 Jan 2024 18:05:25 GMT';
  const webhookId = '01HKBE8YBQZ0MVKG4YF8CXR1D8';
  const body = json({
    data: [
      {
        topic: 'event:klaviyo.received_sms',
        external_id: '4ZeBYAsVH6W',
        payload: {
          data: {
            type: 'event',
            id: '4ZeBYAsVH6W',
            attributes: {
              timestamp: 1704391520,
              event_properties: { 'Message Name': 'Welcome SMS', $message: '01HKBE9ME8HCMX6PRG3YW2J1CC' },
              datetime: '2024-01-04T18:05:20+00:00',
              uuid: '7b3a3a80-ab2e-11ee-8001-8a7b1b0d5a4d',
            },
            relationships: {
              profile: { data: { type: 'profile', id: '01HKBE7ZK6J5W4CQ3X2B9V8N7M' } },
              metric: { data: { type: 'metric', id: 'Rnm7iu' } },
            },
          },
        },
      },
    ],
    meta: {
      klaviyo_account_id: 'AbC123',
      klaviyo_webhook_id: webhookId,
      timestamp: '2024-01-04T18:05:25+00:00',
    },
  });
  add({
    provider: 'klaviyo',
    name: 'received-sms-http-date',
    provenance:
      'Klaviyo developer guide "Working with system webhooks" > "Webhook request structure" and "Example webhook request" (Klaviyo-Timestamp as an HTTP-date, e.g. Thu, 04 Jan 2024 18:05:25 GMT) and > "HMAC signature verification" (hex HMAC-SHA256 of body + Klaviyo-Timestamp text)',
    source: 'algorithm-signed',
    signedWith:
      'documented HMAC-SHA256 hex of body + Klaviyo-Timestamp header text (Klaviyo has no signing SDK)',
    url: 'https://hooks.example.com/webhooks/klaviyo',
    headers: [
      ['Content-Type', 'application/json'],
      ['Klaviyo-Signature', hmacHex('sha256', secret, body, timestamp)],
      ['Klaviyo-Timestamp', timestamp],
      ['Klaviyo-Webhook-Id', webhookId],
    ],
    body,
    secrets: [secret],
    verifyAtMs: Date.parse(timestamp),
    expect: { count: 1, events: [{ id: '4ZeBYAsVH6W', type: 'event:klaviyo.received_sms' }] },
  });
}

// ---------------------------------------------------------------- Slack
{
  add({
    provider: 'slack',
    name: 'slash-command-docs-example',
    provenance:
      'Slack docs, "Verifying requests from Slack" > "Validating a request" (the worked example: signing secret, X-Slack-Request-Timestamp 1531420618, slash-command body, X-Slack-Signature)',
    source: 'docs-with-signature',
    url: 'https://hooks.example.com/webhooks/slack',
    headers: [
      ['Content-Type', 'application/x-www-form-urlencoded'],
      ['X-Slack-Request-Timestamp', '1531420618'],
      ['X-Slack-Signature', 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503'],
    ],
    body: 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
    secrets: ['8f742231b10e8888abcd99yyyzzz85a5'],
    verifyAtMs: 1531420618 * 1000,
    expect: {
      count: 1,
      events: [{ id: '398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c', type: 'slash_command' }],
    },
  });
  const secret = 'corpus0slack0signing0secret00001';
  const ts = 1700000000;
  const body = json({
    token: 'XXYYZZ',
    team_id: 'T123ABC456',
    api_app_id: 'A123ABC456',
    event: {
      type: 'app_mention',
      user: 'U123ABC456',
      text: '<@U0LAN0Z89> is it everything a river should be?',
      ts: '1515449522.000016',
      channel: 'C123ABC456',
      event_ts: '1515449522000016',
    },
    type: 'event_callback',
    authed_users: ['U123ABC456'],
    authorizations: [
      { enterprise_id: 'E123ABC456', team_id: 'T123ABC456', user_id: 'U123ABC456', is_bot: false },
    ],
    event_id: 'Ev123ABC456',
    event_context: 'EC123ABC456',
    event_time: 1515449522000016,
  });
  add({
    provider: 'slack',
    name: 'event-callback-app-mention',
    provenance:
      'Slack docs, "The Events API" > "Callback field overview" (event_callback wrapper) and the app_mention event reference example; headers per "Verifying requests from Slack"',
    source: 'algorithm-signed',
    signedWith:
      'documented v0 HMAC-SHA256 hex of "v0:ts:body" (Bolt only verifies; it is the oracle in the differential tests)',
    url: 'https://hooks.example.com/webhooks/slack',
    headers: [
      ['Content-Type', 'application/json'],
      ['X-Slack-Request-Timestamp', String(ts)],
      ['X-Slack-Signature', `v0=${hmacHex('sha256', secret, `v0:${ts}:`, body)}`],
    ],
    body,
    secrets: [secret],
    verifyAtMs: ts * 1000,
    expect: { count: 1, events: [{ id: 'Ev123ABC456', type: 'app_mention' }] },
  });
}

// ---------------------------------------------------------------- Twilio
{
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  add({
    provider: 'twilio',
    name: 'voice-form-docs-example',
    provenance:
      'Twilio docs, "Webhooks security" > "Validating signatures from Twilio" (auth token 12345, URL, the five POST parameters and the resulting X-Twilio-Signature)',
    source: 'docs-with-signature',
    url,
    headers: [
      ['Content-Type', 'application/x-www-form-urlencoded'],
      ['X-Twilio-Signature', 'RSOYDt4T1cUTdK1PDd93/VVr8B8='],
    ],
    body: 'CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212',
    secrets: ['12345'],
    verifyAtMs: Date.UTC(2024, 0, 1),
    expect: { count: 1, events: [{ id: 'CA1234567890ABCDE:unknown', type: 'call.unknown' }] },
  });
  add({
    provider: 'twilio',
    name: 'json-body-sdk-vector',
    provenance:
      'twilio-node tests, spec/unit/webhooks/webhooks.spec.js (validateRequestWithBody vector: bodySHA256 in the URL, auth token 12345); JSON mode as in Twilio docs "Webhooks security" > "Validating requests with a JSON body"',
    source: 'docs-with-signature',
    url: `${url}&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620`,
    headers: [
      ['Content-Type', 'application/json'],
      ['X-Twilio-Signature', 'a9nBmqA0ju/hNViExpshrM61xv4='],
    ],
    body: '{"property": "value", "boolean": true}',
    secrets: ['12345'],
    verifyAtMs: Date.UTC(2024, 0, 1),
    expect: {
      count: 1,
      events: [
        {
          id: 'twilio-body:0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620',
          type: 'unknown',
        },
      ],
    },
  });
  const token = 'corpus0twilio0auth0token00000001';
  const statusUrl = 'https://hooks.example.com/webhooks/twilio';
  const fields: [string, string][] = [
    ['ApiVersion', '2010-04-01'],
    ['AccountSid', 'ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX'],
    ['MessageSid', 'SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX'],
    ['MessageStatus', 'delivered'],
    ['SmsSid', 'SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX'],
    ['SmsStatus', 'delivered'],
    ['From', '+15017122661'],
    ['To', '+15558675310'],
    ['MessagingServiceSid', 'MGXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX'],
  ];
  const signature = twilio.getExpectedTwilioSignature(token, statusUrl, Object.fromEntries(fields));
  add({
    provider: 'twilio',
    name: 'sms-status-callback',
    provenance:
      'Twilio docs, "Track the message status of outbound messages" > "Status callback parameters" (example delivered callback) and "Webhooks (HTTP callbacks): Connection overrides" > I-Twilio-Idempotency-Token header',
    source: 'sdk-signed',
    signedWith: 'twilio getExpectedTwilioSignature',
    url: statusUrl,
    headers: [
      ['Content-Type', 'application/x-www-form-urlencoded'],
      ['I-Twilio-Idempotency-Token', '8f6d7a3c-2b1e-4c5d-9e8f-0a1b2c3d4e5f'],
      ['X-Twilio-Signature', signature],
    ],
    body: form(fields),
    secrets: [token],
    verifyAtMs: Date.UTC(2024, 0, 1),
    expect: {
      count: 1,
      events: [{ id: 'SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:delivered', type: 'message.delivered' }],
    },
  });
}

// ---------------------------------------------------------------- SendGrid
{
  const single = `${json([
    {
      email: 'hello@world.com',
      event: 'dropped',
      reason: 'Bounced Address',
      sg_event_id: 'ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA',
      sg_message_id: 'LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0',
      'smtp-id': '<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>',
      timestamp: 1600112492,
    },
  ])}\r\n`;
  add({
    provider: 'sendgrid',
    name: 'dropped-sdk-vector',
    provenance:
      '@sendgrid/eventwebhook src/eventwebhook.spec.js (verification key, signature, timestamp and payload of a genuine signed delivery); header names per SendGrid docs "Getting Started with the Event Webhook Security Features" > "Verify the signature"',
    source: 'docs-with-signature',
    url: 'https://hooks.example.com/webhooks/sendgrid',
    headers: [
      ['Content-Type', 'application/json'],
      ['User-Agent', 'SendGrid Event API'],
      [
        'X-Twilio-Email-Event-Webhook-Signature',
        'MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=',
      ],
      ['X-Twilio-Email-Event-Webhook-Timestamp', '1600112502'],
    ],
    body: single,
    secrets: [
      'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==',
    ],
    verifyAtMs: 1600112502 * 1000,
    expect: {
      count: 1,
      events: [{ id: 'ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA', type: 'dropped' }],
    },
  });
}

{
  // The SDK's second vector: a two-event batch, one event per line as SendGrid sends them (CRLF-separated).
  const batch = `${json([
    {
      email: 'invalid@gmail.com',
      event: 'processed',
      send_at: 0,
      sg_event_id: 'cHJvY2Vzc2VkLTE5OTQyMTEyLXFOd0JMZ1BRUWpXNkRKdktRd1NBYnctMA',
      sg_message_id: 'qNwBLgPQQjW6DJvKQwSAbw.filterdrecv-canary-547b64655b-cw6zx-1-6089EA4A-56.0',
      'smtp-id': '<qNwBLgPQQjW6DJvKQwSAbw@ismtpd0178p1mdw1.sendgrid.net>',
      timestamp: 1619651146,
    },
    {
      email: 'invalid@gmail.com',
      event: 'bounce',
      ip: '167.89.101.76',
      reason:
        '552 5.2.2 The email account that you tried to reach is over quota and inactive. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaPerm c17si1130468pgv.34 - gsmtp',
      sg_event_id: 'Ym91bmNlLTAtMTk5NDIxMTItcU53QkxnUFFRalc2REp2S1F3U0Fidy0w',
      sg_message_id: 'qNwBLgPQQjW6DJvKQwSAbw.filterdrecv-canary-547b64655b-cw6zx-1-6089EA4A-56.0',
      'smtp-id': '<qNwBLgPQQjW6DJvKQwSAbw@ismtpd0178p1mdw1.sendgrid.net>',
      status: '5.2.2',
      timestamp: 1619651147,
      tls: 1,
      type: 'blocked',
    },
  ])
    .split('},{')
    .join('},\r\n{')}\r\n`;
  add({
    provider: 'sendgrid',
    name: 'processed-bounce-batch-sdk-vector',
    provenance:
      '@sendgrid/eventwebhook src/eventwebhook.spec.js (the multiple-events vector: key, signature, timestamp and a two-event CRLF-separated payload); batch shape per SendGrid docs "Event Webhook Reference" (a JSON array of events)',
    source: 'docs-with-signature',
    url: 'https://hooks.example.com/webhooks/sendgrid',
    headers: [
      ['Content-Type', 'application/json'],
      ['User-Agent', 'SendGrid Event API'],
      [
        'X-Twilio-Email-Event-Webhook-Signature',
        'MEYCIQC/I4o6vCgqRYrTljjoVWB/GRWNtxeePlLMHr3x9ETeRQIhAIpV+03nREPTTHWSW0wIOA0EoMPdcNgXa70yCaqDJlu5',
      ],
      ['X-Twilio-Email-Event-Webhook-Timestamp', '1619651159'],
    ],
    body: batch,
    secrets: [
      'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQ4LIFtWztlsF7skFqOncjD1lun4H5w8XOhyOArHW9RcIx/FfEzx6cikC/yPfUvwaX/JScE7Fc9CJD2afQ9Ok3Q==',
    ],
    verifyAtMs: 1619651159 * 1000,
    expect: {
      count: 2,
      events: [
        { id: 'cHJvY2Vzc2VkLTE5OTQyMTEyLXFOd0JMZ1BRUWpXNkRKdktRd1NBYnctMA', type: 'processed' },
        { id: 'Ym91bmNlLTAtMTk5NDIxMTItcU53QkxnUFFRalc2REp2S1F3U0Fidy0w', type: 'bounce' },
      ],
    },
  });
}

// ---------------------------------------------------------------- Square
add({
  provider: 'square',
  name: 'test-notification-sdk-vector',
  provenance:
    'Square SDK tests, test/utilities/webhooksHelper.test.ts (signature key, notification URL, body and x-square-hmacsha256-signature of a webhooks.test_notification); scheme per Square docs "Validate notifications"',
  source: 'docs-with-signature',
  url: 'https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9',
  headers: [
    ['content-type', 'application/json'],
    ['x-square-hmacsha256-signature', 'GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4='],
  ],
  body: '{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}',
  secrets: ['Ibxx_5AKakO-3qeNVR61Dw'],
  verifyAtMs: Date.UTC(2022, 6, 13, 20, 31),
  expect: {
    count: 1,
    events: [{ id: 'ac3ac95b-f97d-458c-a6e6-18981597e05f', type: 'webhooks.test_notification' }],
  },
});

// ---------------------------------------------------------------- Paddle
{
  const secret = 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI';
  const ts = 1671552777; // the docs' example Paddle-Signature timestamp
  const body = json({
    event_id: 'evt_01h8bzakzx3hm2fmen703n5q45',
    event_type: 'transaction.completed',
    occurred_at: '2023-08-21T11:57:47.390028Z',
    notification_id: 'ntf_01h8bzam1z32agrxjwhjgqk8w6',
    data: {
      id: 'txn_01h8bz9kb7dvk0hx9dbtgj4s5m',
      status: 'completed',
      customer_id: 'ctm_01h8441jn5pcwrfhwh78jqt8hk',
      currency_code: 'USD',
      origin: 'web',
    },
  });
  add({
    provider: 'paddle',
    name: 'transaction-completed',
    provenance:
      'Paddle Billing docs, "Verify webhook signatures" > "Get Paddle-Signature header" (ts=…;h1=… example) and "Webhooks" > notification payload example (abridged)',
    source: 'algorithm-signed',
    signedWith:
      'documented HMAC-SHA256 hex of "ts:body" (@paddle/paddle-node-sdk only verifies; it is the oracle in the differential tests)',
    url: 'https://hooks.example.com/webhooks/paddle',
    headers: [
      ['Content-Type', 'application/json'],
      ['Paddle-Signature', `ts=${ts};h1=${hmacHex('sha256', secret, `${ts}:`, body)}`],
    ],
    body,
    secrets: [secret],
    verifyAtMs: ts * 1000 + 1000,
    expect: { count: 1, events: [{ id: 'evt_01h8bzakzx3hm2fmen703n5q45', type: 'transaction.completed' }] },
  });
}

// ---------------------------------------------------------------- Intercom
{
  const secret = 'corpus-intercom-client-secret';
  const body = json({
    type: 'notification_event',
    app_id: 'ecahpwf5',
    data: {
      type: 'notification_event_data',
      item: {
        type: 'conversation',
        id: '147',
        created_at: 1392128810,
        updated_at: 1392128810,
        user: { type: 'user', id: '536e564f316c83104c000020', user_id: '1', email: 'alice@example.com' },
        conversation_message: {
          type: 'conversation_message',
          id: '321546',
          subject: '',
          body: '<p>Hi Alice,</p>',
        },
      },
    },
    links: {},
    id: 'notif_ccd8a4d2-7b1e-4d2e-9f29-35d6c5f3f3b4',
    topic: 'conversation.user.created',
    delivery_status: 'pending',
    delivery_attempts: 1,
    delivered_at: 0,
    first_sent_at: 1392128810,
    created_at: 1392128810,
    self: null,
  });
  add({
    provider: 'intercom',
    name: 'conversation-user-created',
    provenance:
      'Intercom developer docs, "Setting up webhooks" > "Signed notifications" (X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body> keyed with the app client_secret) and "Webhook models" > notification example (abridged)',
    source: 'algorithm-signed',
    signedWith: 'documented HMAC-SHA1 hex of the body (Intercom has no signing SDK)',
    url: 'https://hooks.example.com/webhooks/intercom',
    headers: [
      ['Content-Type', 'application/json'],
      ['X-Hub-Signature', `sha1=${hmacHex('sha1', secret, body)}`],
    ],
    body,
    secrets: [secret],
    verifyAtMs: 1392128810 * 1000,
    expect: {
      count: 1,
      events: [{ id: 'notif_ccd8a4d2-7b1e-4d2e-9f29-35d6c5f3f3b4', type: 'conversation.user.created' }],
    },
  });
}

// ---------------------------------------------------------------- Zendesk
{
  // Zendesk signs test deliveries (Admin Center "Test webhook") with this documented static secret.
  const secret = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==';
  const timestamp = '2024-05-27T19:16:25Z';
  const body = json({
    account_id: 12514403,
    detail: {
      id: '35436',
      subject: 'Help, my printer is on fire!',
      status: 'NEW',
      requester_id: '20978392',
      created_at: '2024-05-27T19:16:24Z',
    },
    event: {},
    id: 'cbe4028c-7239-495d-b020-f22348516046',
    subject: 'zen:ticket:35436',
    time: '2024-05-27T19:16:25Z',
    type: 'zen:event-type:ticket.created',
    zendesk_event_version: '2022-11-06',
  });
  add({
    provider: 'zendesk',
    name: 'ticket-created-event',
    provenance:
      'Zendesk developer docs, "Anatomy of a webhook request" > "Request headers" (header names and the ISO-8601 signature timestamp), "Verifying webhook authenticity" > "Verifying the signature" (base64 HMAC-SHA256 of timestamp + body) and its static secret for test webhooks; ticket event example from "Ticket events" reference (abridged)',
    source: 'algorithm-signed',
    signedWith:
      'documented base64 HMAC-SHA256 of timestamp + body, secret used as text (no Zendesk SDK signs)',
    url: 'https://hooks.example.com/webhooks/zendesk',
    // Header names as "Anatomy of a webhook request" spells them (lower case).
    headers: [
      ['content-type', 'application/json'],
      ['x-zendesk-account-id', '12514403'],
      ['x-zendesk-webhook-id', '01F1KRFQ6BG29CNWFR60NK5FNY'],
      ['x-zendesk-webhook-invocation-id', '8350205582'],
      ['x-zendesk-webhook-signature', hmacB64('sha256', secret, timestamp, body)],
      ['x-zendesk-webhook-signature-timestamp', timestamp],
    ],
    body,
    secrets: [secret],
    verifyAtMs: Date.parse(timestamp) + 1000,
    expect: {
      count: 1,
      events: [{ id: 'cbe4028c-7239-495d-b020-f22348516046', type: 'zen:event-type:ticket.created' }],
    },
  });
}

// ---------------------------------------------------------------- Linear
{
  const secret = 'lin_wh_corpus0linear0signing0secret0001';
  const webhookTimestamp = 1676056940508;
  const body = json({
    action: 'create',
    actor: { id: '2e6eea91-1111-0000-9486-acea0603064d', type: 'user', name: 'Linear Developer' },
    createdAt: '2023-02-10T19:22:20.508Z',
    data: {
      id: '2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9',
      createdAt: '2023-02-10T19:22:20.508Z',
      updatedAt: '2023-02-10T19:22:20.508Z',
      number: 1,
      title: 'Webhook test issue',
      teamId: '72b2a2dc-6f4f-4423-9d34-24b5bd10634a',
    },
    url: 'https://linear.app/issue/LIN-1/webhook-test-issue',
    type: 'Issue',
    organizationId: '78a3ba84-1111-4c8d-b6ba-000000000000',
    webhookTimestamp,
    webhookId: '000042e3-d123-4980-b49f-8e140eef9329',
  });
  add({
    provider: 'linear',
    name: 'issue-create',
    provenance:
      'Linear developer docs, "Webhooks" > "Data change events payload" (example) and > "Securing webhooks" (Linear-Signature hex HMAC-SHA256 of the body; webhookTimestamp within a minute); delivery headers Linear-Delivery, Linear-Event, Linear-Timestamp (epoch ms)',
    source: 'algorithm-signed',
    signedWith:
      'documented HMAC-SHA256 hex of the body (@linear/sdk only verifies; it is the oracle in the differential tests)',
    url: 'https://hooks.example.com/webhooks/linear',
    headers: [
      ['Content-Type', 'application/json; charset=utf-8'],
      ['Linear-Delivery', '234d1a4e-b617-4388-90fe-adc3633d6b72'],
      ['Linear-Event', 'Issue'],
      ['Linear-Signature', hmacHex('sha256', secret, body)],
      ['Linear-Timestamp', String(webhookTimestamp)],
      ['User-Agent', 'Linear-Webhook'],
    ],
    body,
    secrets: [secret],
    verifyAtMs: webhookTimestamp + 2000,
    expect: {
      count: 1,
      events: [
        {
          id: 'linear-body:5f289ff217dec87a073c8f09e2ed8a44c49a407ecf4167f77954a1ecab956d89',
          type: 'Issue.create',
        },
      ],
    },
  });
}

// ---------------------------------------------------------------- Typeform
{
  const secret = 'corpus-typeform-webhook-secret';
  const body = json({
    event_id: 'LtWXD3crgy',
    event_type: 'form_response',
    form_response: {
      form_id: 'lT4Z3j',
      token: 'a3a12ec67a1365927098a606107fac15',
      submitted_at: '2018-01-18T18:17:02Z',
      landed_at: '2018-01-18T18:07:02Z',
      calculated: { score: 9 },
      definition: {
        id: 'lT4Z3j',
        title: 'Webhooks example',
        fields: [
          {
            id: 'DlXFaesGBpoF',
            title: 'Thanks, {{answer_60906475}}!',
            type: 'long_text',
            ref: 'readable_ref_long_text',
            allow_multiple_selections: false,
            allow_other_choice: false,
          },
        ],
      },
      answers: [{ type: 'text', text: 'It was good!', field: { id: 'DlXFaesGBpoF', type: 'long_text' } }],
    },
  });
  add({
    provider: 'typeform',
    name: 'form-response',
    provenance:
      'Typeform developer docs, "Secure your webhooks" (Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>) and "Example webhook payload" (abridged)',
    source: 'algorithm-signed',
    signedWith: 'documented base64 HMAC-SHA256 of the body (Typeform has no signing SDK)',
    url: 'https://hooks.example.com/webhooks/typeform',
    headers: [
      ['Content-Type', 'application/json'],
      ['Typeform-Signature', `sha256=${hmacB64('sha256', secret, body)}`],
      ['User-Agent', 'Typeform Webhooks'],
    ],
    body,
    secrets: [secret],
    verifyAtMs: Date.UTC(2018, 0, 18, 18, 17, 3),
    expect: { count: 1, events: [{ id: 'LtWXD3crgy', type: 'form_response' }] },
  });
}

// ---------------------------------------------------------------- Calendly
{
  const secret = 'corpus-calendly-webhook-signing-key';
  const t = 1606153879;
  const body = json({
    created_at: '2020-11-23T17:51:19.000000Z',
    created_by: 'https://api.calendly.com/users/AAAAAAAAAAAAAAAA',
    event: 'invitee.created',
    payload: {
      cancel_url: 'https://calendly.com/cancellations/AAAAAAAAAAAAAAAA',
      created_at: '2020-11-23T17:51:18.327602Z',
      email: 'test@example.com',
      event: 'https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2',
      name: 'John Doe',
      status: 'active',
      timezone: 'America/New_York',
      uri: 'https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/AAAAAAAAAAAAAAAA',
    },
  });
  add({
    provider: 'calendly',
    name: 'invitee-created',
    provenance:
      'Calendly developer docs, "Webhook Signatures" (Calendly-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">, 3-minute tolerance in the sample) and "Webhook payload" > invitee.created example (abridged)',
    source: 'algorithm-signed',
    signedWith: 'documented HMAC-SHA256 hex of "t.body" (Calendly has no signing SDK)',
    url: 'https://hooks.example.com/webhooks/calendly',
    headers: [
      ['Content-Type', 'application/json; charset=utf-8'],
      ['Calendly-Webhook-Signature', `t=${t},v1=${hmacHex('sha256', secret, `${t}.`, body)}`],
    ],
    body,
    secrets: [secret],
    verifyAtMs: t * 1000 + 1000,
    expect: {
      count: 1,
      events: [
        {
          id: 'invitee.created:https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/AAAAAAAAAAAAAAAA',
          type: 'invitee.created',
        },
      ],
    },
  });
}

// ---------------------------------------------------------------- Mailgun
{
  const key = 'corpus-mailgun-webhook-signing-key';
  const timestamp = '1529006854';
  const token = 'a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0';
  const body = json({
    signature: { token, timestamp, signature: hmacHex('sha256', key, timestamp, token) },
    'event-data': {
      event: 'delivered',
      timestamp: 1529006854.329574,
      id: 'DACSsAdVSeGpLid7TN03WA',
      recipient: 'alice@example.com',
      'log-level': 'info',
      message: { headers: { 'message-id': '20130503182626.18666.16540@example.com' } },
      'delivery-status': { code: 250, message: 'OK' },
    },
  });
  add({
    provider: 'mailgun',
    name: 'delivered',
    provenance:
      'Mailgun docs, "Securing Webhooks" (signature object {token, timestamp as a string, signature}; hex HMAC-SHA256 of timestamp + token) and "Webhooks" > delivered event-data example (abridged)',
    source: 'algorithm-signed',
    signedWith: 'documented HMAC-SHA256 hex of timestamp + token (no Mailgun SDK signs)',
    url: 'https://hooks.example.com/webhooks/mailgun',
    headers: [
      ['Content-Type', 'application/json'],
      ['User-Agent', 'mailgun/treq-16.12.0'],
    ],
    body,
    secrets: [key],
    verifyAtMs: Number(timestamp) * 1000 + 1000,
    // The signature covers timestamp + token only (documented), so the tampered variant changes the token.
    tamper: { body: { find: token, replace: `b${token.slice(1)}` } },
    expect: {
      count: 1,
      events: [
        {
          id: 'mailgun-token:1f5197b930484b31d15c566afa9bf47e7b340f1d99d46c621426da0173a62b70',
          type: 'delivered',
        },
      ],
    },
  });
}

{
  // A subaccount's event: `signature` under the subaccount's key, `parent-signature` under the primary
  // account's key, which is the only key this receiver holds.
  const primary = 'corpus-mailgun-primary-signing-key';
  const subaccount = 'corpus-mailgun-subaccount-signing-key';
  const timestamp = '1770920772';
  const token = 'e0b5477167110d68991efc6b9f89f0a11066af27834600e123';
  const body = json({
    signature: {
      token,
      timestamp,
      signature: hmacHex('sha256', subaccount, timestamp, token),
      'parent-signature': hmacHex('sha256', primary, timestamp, token),
    },
    'event-data': {
      event: 'opened',
      timestamp: 1770920772.118,
      id: 'Ase7i2zsRYeDXztHGENqRA',
      recipient: 'alice@example.com',
    },
  });
  add({
    provider: 'mailgun',
    name: 'subaccount-parent-signature',
    provenance:
      'Mailgun docs, "Securing Webhooks" (subaccount example: the signature object with parent-signature, token and string timestamp)',
    source: 'algorithm-signed',
    signedWith: 'documented HMAC-SHA256 hex of timestamp + token, once per key',
    url: 'https://hooks.example.com/webhooks/mailgun',
    headers: [['Content-Type', 'application/json']],
    body,
    secrets: [primary],
    verifyAtMs: Number(timestamp) * 1000,
    tamper: { body: { find: token, replace: `f${token.slice(1)}` } },
    expect: {
      count: 1,
      events: [
        {
          id: 'mailgun-token:cf1339577a3957d5bd1ca1ba45377d3511206b3d0e0df58c5e2c852edf44ede7',
          type: 'opened',
        },
      ],
    },
  });
}

// ---------------------------------------------------------------- Discord
{
  const { privateKey, publicHex } = ed25519FromSeed(
    '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  );
  const signed = (ts: string, body: string) =>
    sign(null, Buffer.from(ts + body, 'utf8'), privateKey).toString('hex');
  const ts = '1729262573';
  const event = json({
    version: 1,
    application_id: '1234560123453231555',
    type: 1,
    event: {
      type: 'APPLICATION_AUTHORIZED',
      timestamp: '2024-10-18T14:42:53.064834',
      data: {
        integration_type: 1,
        scopes: ['applications.commands'],
        user: { id: '111222333444555666', username: 'discord_user', global_name: 'Discord User' },
      },
    },
  });
  add({
    provider: 'discord',
    name: 'application-authorized',
    provenance:
      'Discord developer docs, "Webhook Events" > "Webhook event payloads" (APPLICATION_AUTHORIZED example) and "Interactions: Receiving and Responding" > "Security and Authorization" (X-Signature-Ed25519 hex over timestamp + body, X-Signature-Timestamp)',
    source: 'algorithm-signed',
    signedWith: 'Ed25519 on node:crypto with a fixed test key (discord-interactions only verifies)',
    url: 'https://hooks.example.com/webhooks/discord',
    headers: [
      ['Content-Type', 'application/json'],
      ['X-Signature-Ed25519', signed(ts, event)],
      ['X-Signature-Timestamp', ts],
    ],
    body: event,
    secrets: [publicHex],
    verifyAtMs: Number(ts) * 1000,
    expect: { count: 1, events: [{ id: null, type: 'APPLICATION_AUTHORIZED' }] },
  });
  const ping = json({ version: 1, application_id: '1234560123453231555', type: 0 });
  add({
    provider: 'discord',
    name: 'webhook-ping',
    provenance:
      'Discord developer docs, "Webhook Events" > "Configuring a webhook events URL" (PING, type 0, sent when the URL is saved); signature headers as in "Security and Authorization"',
    source: 'algorithm-signed',
    signedWith: 'Ed25519 on node:crypto with a fixed test key (discord-interactions only verifies)',
    url: 'https://hooks.example.com/webhooks/discord',
    headers: [
      ['Content-Type', 'application/json'],
      ['X-Signature-Ed25519', signed(ts, ping)],
      ['X-Signature-Timestamp', ts],
    ],
    body: ping,
    secrets: [publicHex],
    verifyAtMs: Number(ts) * 1000,
    expect: { count: 1, events: [{ id: null, type: 'webhook.ping' }] },
  });
}

// ---------------------------------------------------------------- Adyen
add({
  provider: 'adyen',
  name: 'authorisation-docs-example',
  provenance:
    'Adyen docs, "Verify HMAC signatures" > "Calculate the HMAC signature" worked example (HMAC key, notification item and hmacSignature), also the vector of Adyen\'s API libraries\' HMAC tests',
  source: 'docs-with-signature',
  url: 'https://hooks.example.com/webhooks/adyen',
  headers: [['Content-Type', 'application/json']],
  body: json({
    live: 'false',
    notificationItems: [
      {
        NotificationRequestItem: {
          additionalData: { hmacSignature: 'coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0=' },
          amount: { value: 1130, currency: 'EUR' },
          pspReference: '7914073381342284',
          eventCode: 'AUTHORISATION',
          merchantAccountCode: 'TestMerchant',
          merchantReference: 'TestPayment-1407325143704',
          paymentMethod: 'visa',
          success: 'true',
        },
      },
    ],
  }),
  secrets: ['44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056'],
  verifyAtMs: Date.UTC(2024, 0, 1),
  // The HMAC covers the listed fields, not the whole body: the tampered variant changes the amount.
  tamper: { body: { find: '"value":1130', replace: '"value":1131' } },
  expect: { count: 1, events: [{ id: '7914073381342284:AUTHORISATION', type: 'AUTHORISATION' }] },
});

{
  const key = '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056';
  const body = json({
    data: {
      balancePlatform: 'YOUR_BALANCE_PLATFORM',
      accountHolder: {
        contactDetails: { email: 'test@adyen.com', phone: { number: '0612345678', type: 'mobile' } },
        description: 'S.Hopper - Staff 123',
        id: 'AH00000000000000000000001',
        status: 'active',
      },
    },
    environment: 'test',
    timestamp: '2024-12-15T15:42:03+01:00',
    type: 'balancePlatform.accountHolder.updated',
  });
  add({
    provider: 'adyen',
    name: 'platform-account-holder-updated',
    provenance:
      'Adyen docs, "Verify HMAC signatures" > Balance Platform / Management webhooks (HmacSignature header: base64 HMAC-SHA256 of the raw body, Protocol: HmacSHA256) and the balancePlatform.accountHolder.updated example (abridged)',
    source: 'sdk-signed',
    signedWith: '@adyen/api-library hmacValidator.calculateHmac over the raw body',
    url: 'https://hooks.example.com/webhooks/adyen-platform',
    headers: [
      ['Content-Type', 'application/json'],
      ['HmacSignature', new AdyenHmacValidator().calculateHmac(body, key)],
      ['Protocol', 'HmacSHA256'],
    ],
    body,
    secrets: [key],
    options: { variant: 'platform' },
    verifyAtMs: Date.parse('2024-12-15T15:42:04+01:00'),
    expect: { count: 1, events: [{ id: null, type: 'balancePlatform.accountHolder.updated' }] },
  });
}

// ---------------------------------------------------------------- Mailchimp Transactional (Mandrill)
{
  const key = 'corpus-mandrill-webhook-key';
  const url = 'https://hooks.example.com/webhooks/mandrill';
  const events = json([
    {
      event: 'send',
      msg: {
        ts: 1365109999,
        subject: 'This an example webhook message',
        email: 'example.webhook@mandrillapp.com',
        sender: 'example.sender@mandrillapp.com',
        tags: ['webhook-example'],
        state: 'sent',
        metadata: { user_id: 111 },
        _id: 'exampleaaaaaaaaaaaaaaaaaaaaaaaaa',
        _version: 'exampleaaaaaaaaaaaaaaa',
      },
      _id: 'exampleaaaaaaaaaaaaaaaaaaaaaaaaa',
      ts: 1384954004,
    },
  ]);
  add({
    provider: 'mailchimp-transactional',
    name: 'message-send',
    provenance:
      'Mailchimp Transactional docs, "Authenticating webhook requests" (X-Mandrill-Signature: base64 HMAC-SHA1 of the webhook URL + sorted POST key/value pairs) and "Webhooks: event format" > message event example',
    source: 'algorithm-signed',
    signedWith: 'documented generate_signature on node:crypto (no Mandrill SDK signs)',
    url,
    headers: [
      ['Content-Type', 'application/x-www-form-urlencoded'],
      ['User-Agent', 'Mandrill-Webhook/1.0'],
      ['X-Mandrill-Signature', hmacB64('sha1', key, `${url}mandrill_events${events}`)],
    ],
    body: form([['mandrill_events', events]]),
    secrets: [key],
    verifyAtMs: 1384954004 * 1000,
    expect: {
      count: 1,
      events: [{ id: 'exampleaaaaaaaaaaaaaaaaaaaaaaaaa:send:1384954004', type: 'send' }],
    },
  });
}

// ---------------------------------------------------------------- Generic HMAC (the seed provider)
{
  const secret = 'your_webhook_secret';
  const body = json({
    id: 'evt_abc123',
    type: 'resource.created',
    created_at: '2025-02-18T10:30:00Z',
    data: { object: { id: 'res_xyz789', name: 'New Resource', status: 'active' } },
    previous_data: null,
  });
  add({
    provider: 'generic-hmac',
    name: 'seed-provider-resource-created',
    provenance:
      'Seed provider guide "Working with Webhooks" (shared/seeds 003) > "Webhook Payload" (example event) and "Verifying Webhook Signatures" (X-Webhook-Signature: hex HMAC-SHA256 of the body)',
    source: 'algorithm-signed',
    signedWith: 'documented HMAC-SHA256 hex of the body',
    url: 'https://hooks.example.com/webhooks/seed',
    headers: [
      ['Content-Type', 'application/json'],
      ['X-Webhook-Signature', hmacHex('sha256', secret, body)],
    ],
    body,
    secrets: [secret],
    options: {
      signatureHeader: 'X-Webhook-Signature',
      algorithm: 'sha256',
      encoding: 'hex',
      idPointer: '/id',
      typePointer: '/type',
      occurredAtPointer: '/created_at',
    },
    verifyAtMs: Date.UTC(2025, 1, 18, 10, 30),
    expect: { count: 1, events: [{ id: 'evt_abc123', type: 'resource.created' }] },
  });
}

// ---------------------------------------------------------------- Basic auth (Postmark)
{
  const credentials = 'postmark-hooks:corpus-basic-auth-password';
  add({
    provider: 'basic-auth',
    name: 'postmark-delivery',
    provenance:
      'Postmark developer docs, "Webhooks overview" > "Protecting your webhook" (basic HTTP authentication in the webhook URL) and "Delivery webhook" > example payload',
    source: 'algorithm-signed',
    signedWith: 'HTTP Basic credentials (RFC 7617), as Postmark sends them from https://user:pass@… URLs',
    url: 'https://hooks.example.com/webhooks/postmark',
    headers: [
      ['Content-Type', 'application/json'],
      ['Authorization', `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`],
    ],
    body: json({
      RecordType: 'Delivery',
      ServerID: 23,
      MessageStream: 'outbound',
      MessageID: '00000000-0000-0000-0000-000000000000',
      Recipient: 'john@example.com',
      Tag: 'welcome-email',
      DeliveredAt: '2019-11-05T16:33:54.9070259Z',
      Details: 'Test delivery webhook details',
      Metadata: { a_key: 'a_value', b_key: 'b_value' },
    }),
    secrets: [credentials],
    options: { idPaths: ['MessageID', 'RecordType'], typePath: 'RecordType', occurredAtPath: 'DeliveredAt' },
    verifyAtMs: Date.UTC(2019, 10, 5, 16, 34),
    // Postmark signs nothing: what authenticates the request is the credential, so that is what is tampered.
    tamper: {
      header: [
        'Authorization',
        `Basic ${Buffer.from('postmark-hooks:wrong-password', 'utf8').toString('base64')}`,
      ],
    },
    expect: { count: 1, events: [{ id: '00000000-0000-0000-0000-000000000000:Delivery', type: 'Delivery' }] },
  });
}

// ---------------------------------------------------------------- URL token (Mailchimp Marketing)
{
  const token = 'corpus-mailchimp-marketing-url-token';
  add({
    provider: 'url-token',
    name: 'mailchimp-subscribe',
    provenance:
      'Mailchimp Marketing docs, "Sync Audience Data with Webhooks" > "Subscribes" (form-encoded example) and > "Securing webhooks" (secret in the webhook URL)',
    source: 'algorithm-signed',
    signedWith: 'secret token in the registered URL query (Mailchimp Marketing signs nothing)',
    url: `https://hooks.example.com/webhooks/mailchimp?token=${token}`,
    headers: [
      ['Content-Type', 'application/x-www-form-urlencoded'],
      ['User-Agent', 'MailChimp'],
    ],
    body: form([
      ['type', 'subscribe'],
      ['fired_at', '2009-03-26 21:35:57'],
      ['data[id]', '8a25ff1d98'],
      ['data[list_id]', 'a6b5da1054'],
      ['data[email]', 'api@mailchimp.com'],
      ['data[email_type]', 'html'],
      ['data[merges][EMAIL]', 'api@mailchimp.com'],
      ['data[merges][FNAME]', 'Mailchimp'],
      ['data[merges][LNAME]', 'API'],
      ['data[merges][INTERESTS]', 'Group1,Group2'],
      ['data[ip_opt]', '10.20.10.30'],
      ['data[ip_signup]', '10.20.10.30'],
    ]),
    secrets: [token],
    options: { idPaths: ['data[id]', 'type', 'fired_at'], typePath: 'type', occurredAtPath: 'fired_at' },
    verifyAtMs: Date.UTC(2009, 2, 26, 21, 36),
    tamper: { url: { find: `token=${token}`, replace: 'token=corpus-mailchimp-marketing-url-tokeX' } },
    expect: {
      count: 1,
      events: [{ id: '8a25ff1d98:subscribe:2009-03-26 21:35:57', type: 'subscribe' }],
    },
  });
}

for (const d of deliveries) {
  const { provider, name, body, ...rest } = d;
  const file = join(OUT, provider, `${name}.json`);
  mkdirSync(dirname(file), { recursive: true });
  const entry = {
    provenance: rest.provenance,
    source: rest.source,
    ...(rest.signedWith ? { signedWith: rest.signedWith } : {}),
    method: rest.method ?? 'POST',
    url: rest.url,
    headers: rest.headers,
    bodyText: body,
    bodySha256: createHash('sha256').update(body, 'utf8').digest('hex'),
    secrets: rest.secrets,
    ...(rest.options ? { options: rest.options } : {}),
    verifyAtMs: rest.verifyAtMs,
    ...(rest.tamper ? { tamper: rest.tamper } : {}),
    expect: rest.expect,
    ...(rest.todo ? { todo: rest.todo } : {}),
  };
  writeFileSync(file, `${JSON.stringify(entry, null, 2)}\n`);
}
console.log(`wrote ${deliveries.length} deliveries under ${OUT}`);
