/**
 * Signs requests the way each provider does, so `npm run send`, the end-to-end tests and the chaos/fuzz
 * scripts can produce deliveries the ingest Lambda must accept. One function per provider, on node:crypto
 * only; the providers' own SDKs serve as oracles in test/unit/local/signers.test.ts.
 *
 * A signer gets the exact body bytes and the exact URL the provider would call, and returns the
 * signature headers (and the URL, which Twilio's JSON mode changes). Delivery metadata that is not part of
 * a signature (event ids, topics) comes from the fixture, except where the scheme signs it (Standard
 * Webhooks' `webhook-id`).
 */
import {
  createHash,
  createHmac,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign as signAsymmetric,
} from 'node:crypto';
import type { ProviderId } from '../lambdas/providers/types';

export interface SignInput {
  /** The exact bytes that will be sent. */
  readonly body: Buffer;
  /** The exact URL the provider calls (URL-bound schemes sign it). */
  readonly url: string;
  /** @default 'POST' */
  readonly method?: string;
  /**
   * The key that signs: the shared secret for HMAC schemes, the PEM private key for SendGrid (ECDSA) and
   * Discord (Ed25519), whose sources hold only the public key.
   */
  readonly signingKey: string;
  /** @default Date.now() */
  readonly nowMs?: number;
  /** The delivery id, for schemes that sign it (Standard Webhooks `webhook-id`). */
  readonly deliveryId?: string;
  /** The request's content type; Twilio signs form bodies and JSON bodies differently. */
  readonly contentType?: string;
}

export interface SignedRequest {
  /** The URL to call (Twilio's JSON mode appends `bodySHA256`). */
  readonly url: string;
  /** Headers to add, with the providers' own capitalisation. */
  readonly headers: Readonly<Record<string, string>>;
}

export type Signer = (input: SignInput) => SignedRequest;

const seconds = (input: SignInput) => String(Math.floor((input.nowMs ?? Date.now()) / 1000));
const millis = (input: SignInput) => String(input.nowMs ?? Date.now());
const hmacOf = (alg: 'sha1' | 'sha256', key: string | Buffer, ...parts: (string | Buffer)[]) => {
  const mac = createHmac(alg, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
};

/** Stripe: `Stripe-Signature: t=<s>,v1=<hex HMAC-SHA256 of "t.body">`, keyed with the whsec_ string as is. */
export const signStripe: Signer = (input) => {
  const t = seconds(input);
  const v1 = hmacOf('sha256', input.signingKey, `${t}.`, input.body).toString('hex');
  return { url: input.url, headers: { 'Stripe-Signature': `t=${t},v1=${v1}` } };
};

/** Standard Webhooks (and Svix): base64 HMAC-SHA256 of `id.ts.body`, keyed with base64-decoded `whsec_…`. */
export const signStandardWebhooks: Signer = (input) => {
  const id = input.deliveryId ?? `msg_${randomBytes(12).toString('hex')}`;
  const ts = seconds(input);
  const key = Buffer.from(input.signingKey.replace(/^whsec_/, ''), 'base64');
  const signature = hmacOf('sha256', key, `${id}.${ts}.`, input.body).toString('base64');
  return {
    url: input.url,
    headers: { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${signature}` },
  };
};

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, and the legacy
 * `X-Hub-Signature: sha1=<hex HMAC-SHA1>` that GitHub still sends with it whenever a secret is set
 * ("Webhook events and payloads" > "Delivery headers").
 */
export const signGithub: Signer = (input) => ({
  url: input.url,
  headers: {
    'X-Hub-Signature': `sha1=${hmacOf('sha1', input.signingKey, input.body).toString('hex')}`,
    'X-Hub-Signature-256': `sha256=${hmacOf('sha256', input.signingKey, input.body).toString('hex')}`,
  },
});

/**
 * Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>`. The verifier also requires the
 * topic, shop domain, API version and webhook id headers; Shopify does not sign them, so they come from
 * the fixture (test/fixtures/webhooks/shopify) like other providers' metadata, where setting them here
 * would overwrite the fixture's topic.
 */
export const signShopify: Signer = (input) => ({
  url: input.url,
  headers: { 'X-Shopify-Hmac-Sha256': hmacOf('sha256', input.signingKey, input.body).toString('base64') },
});

/** Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:ts:body">`, `X-Slack-Request-Timestamp` in seconds. */
export const signSlack: Signer = (input) => {
  const ts = seconds(input);
  const mac = hmacOf('sha256', input.signingKey, `v0:${ts}:`, input.body).toString('hex');
  return { url: input.url, headers: { 'X-Slack-Signature': `v0=${mac}`, 'X-Slack-Request-Timestamp': ts } };
};

/** Twilio's parameter string: names sorted, `name + value`, repeated values de-duplicated and sorted. */
function twilioParams(body: Buffer): string {
  const params = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
    params.set(name, [...(params.get(name) ?? []), value]);
  }
  let out = '';
  for (const name of [...params.keys()].sort()) {
    const values = params.get(name) ?? [];
    for (const value of values.length > 1 ? [...new Set(values)].sort() : values) out += name + value;
  }
  return out;
}

/**
 * Twilio: `X-Twilio-Signature: <base64 HMAC-SHA1>`. Form bodies sign URL + sorted parameters; JSON bodies
 * get `bodySHA256=<hex>` appended to the URL, and only the URL is signed.
 */
export const signTwilio: Signer = (input) => {
  const json = (input.contentType ?? '').includes('json');
  if (json) {
    const hash = createHash('sha256').update(input.body).digest('hex');
    const url = `${input.url}${input.url.includes('?') ? '&' : '?'}bodySHA256=${hash}`;
    return {
      url,
      headers: { 'X-Twilio-Signature': hmacOf('sha1', input.signingKey, url).toString('base64') },
    };
  }
  const signature = hmacOf('sha1', input.signingKey, input.url, twilioParams(input.body)).toString('base64');
  return { url: input.url, headers: { 'X-Twilio-Signature': signature } };
};

/**
 * HubSpot webhooks: v3, base64 HMAC-SHA256 of `METHOD + URI + body + timestamp(ms)`, and alongside it the
 * v1 signature HubSpot still sends to Webhooks API subscribers (hex SHA-256 of `secret + body`) with
 * `X-HubSpot-Signature-Version: v1`; that header names the version of `X-HubSpot-Signature` (v1 or v2),
 * never v3 ("Validating requests from HubSpot").
 */
export const signHubspot: Signer = (input) => {
  const ts = millis(input);
  const signature = hmacOf(
    'sha256',
    input.signingKey,
    `${input.method ?? 'POST'}${input.url}`,
    input.body,
    ts,
  ).toString('base64');
  const v1 = createHash('sha256').update(input.signingKey).update(input.body).digest('hex');
  return {
    url: input.url,
    headers: {
      'X-HubSpot-Signature': v1,
      'X-HubSpot-Signature-Version': 'v1',
      'X-HubSpot-Signature-v3': signature,
      'X-HubSpot-Request-Timestamp': ts,
    },
  };
};

/** Segment: `X-Signature: <hex HMAC-SHA1 of the body>`. */
export const signSegment: Signer = (input) => ({
  url: input.url,
  headers: { 'X-Signature': hmacOf('sha1', input.signingKey, input.body).toString('hex') },
});

/**
 * Klaviyo: `Klaviyo-Signature: <hex HMAC-SHA256 of body + Klaviyo-Timestamp>` (timestamp appended), with
 * `Klaviyo-Timestamp` an HTTP-date (`Thu, 04 Jan 2024 18:05:25 GMT`) as Klaviyo's "Working with system
 * webhooks" guide shows it. Freshness is judged on the body's `meta.timestamp`, which the fixture carries.
 */
export const signKlaviyo: Signer = (input) => {
  const ts = new Date(input.nowMs ?? Date.now()).toUTCString();
  const signature = hmacOf('sha256', input.signingKey, input.body, ts).toString('hex');
  return { url: input.url, headers: { 'Klaviyo-Signature': signature, 'Klaviyo-Timestamp': ts } };
};

/** SendGrid: ECDSA P-256/SHA-256 over `timestamp + body`, DER signature in base64. */
export const signSendgrid: Signer = (input) => {
  const ts = seconds(input);
  const key = createPrivateKey(input.signingKey);
  const signature = signAsymmetric('sha256', Buffer.concat([Buffer.from(ts), input.body]), {
    key,
    dsaEncoding: 'der',
  }).toString('base64');
  return {
    url: input.url,
    headers: {
      'X-Twilio-Email-Event-Webhook-Signature': signature,
      'X-Twilio-Email-Event-Webhook-Timestamp': ts,
    },
  };
};

/** Square: `x-square-hmacsha256-signature: <base64 HMAC-SHA256 of notificationUrl + body>`. */
export const signSquare: Signer = (input) => ({
  url: input.url,
  headers: {
    'x-square-hmacsha256-signature': hmacOf('sha256', input.signingKey, input.url, input.body).toString(
      'base64',
    ),
  },
});

/** Paddle Billing: `Paddle-Signature: ts=<s>;h1=<hex HMAC-SHA256 of "ts:body">`. */
export const signPaddle: Signer = (input) => {
  const ts = seconds(input);
  const h1 = hmacOf('sha256', input.signingKey, `${ts}:`, input.body).toString('hex');
  return { url: input.url, headers: { 'Paddle-Signature': `ts=${ts};h1=${h1}` } };
};

/** Intercom: `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>`. */
export const signIntercom: Signer = (input) => ({
  url: input.url,
  headers: { 'X-Hub-Signature': `sha1=${hmacOf('sha1', input.signingKey, input.body).toString('hex')}` },
});

/**
 * Zendesk: base64 HMAC-SHA256 of `timestamp + body`, keyed with the secret as UTF-8 (not decoded); the
 * timestamp is ISO-8601 UTC to the second, and the header names are lower case, as "Anatomy of a webhook
 * request" shows them.
 */
export const signZendesk: Signer = (input) => {
  const ts = new Date(input.nowMs ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    url: input.url,
    headers: {
      'x-zendesk-webhook-signature': hmacOf('sha256', input.signingKey, ts, input.body).toString('base64'),
      'x-zendesk-webhook-signature-timestamp': ts,
    },
  };
};

/**
 * Linear: `Linear-Signature: <hex HMAC-SHA256 of the body>` and `Linear-Timestamp` (epoch ms). Freshness is
 * judged on the body's signed `webhookTimestamp`; the header is unsigned and sent as Linear sends it.
 */
export const signLinear: Signer = (input) => ({
  url: input.url,
  headers: {
    'Linear-Signature': hmacOf('sha256', input.signingKey, input.body).toString('hex'),
    'Linear-Timestamp': millis(input),
  },
});

/** Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>`. */
export const signTypeform: Signer = (input) => ({
  url: input.url,
  headers: {
    'Typeform-Signature': `sha256=${hmacOf('sha256', input.signingKey, input.body).toString('base64')}`,
  },
});

/** Calendly: `Calendly-Webhook-Signature: t=<s>,v1=<hex HMAC-SHA256 of "t.body">`. */
export const signCalendly: Signer = (input) => {
  const t = seconds(input);
  const v1 = hmacOf('sha256', input.signingKey, `${t}.`, input.body).toString('hex');
  return { url: input.url, headers: { 'Calendly-Webhook-Signature': `t=${t},v1=${v1}` } };
};

/** Discord: Ed25519 over `timestamp + body`, hex, with the app's private key. */
export const signDiscord: Signer = (input) => {
  const ts = seconds(input);
  const signature = signAsymmetric(
    null,
    Buffer.concat([Buffer.from(ts), input.body]),
    createPrivateKey(input.signingKey),
  ).toString('hex');
  return { url: input.url, headers: { 'X-Signature-Ed25519': signature, 'X-Signature-Timestamp': ts } };
};

/** Signers by provider; providers whose signature lives in the body or depends on options are absent. */
export const SIGNERS: Partial<Record<ProviderId, Signer>> = {
  stripe: signStripe,
  'standard-webhooks': signStandardWebhooks,
  github: signGithub,
  shopify: signShopify,
  slack: signSlack,
  twilio: signTwilio,
  hubspot: signHubspot,
  segment: signSegment,
  klaviyo: signKlaviyo,
  sendgrid: signSendgrid,
  square: signSquare,
  paddle: signPaddle,
  intercom: signIntercom,
  zendesk: signZendesk,
  linear: signLinear,
  typeform: signTypeform,
  calendly: signCalendly,
  discord: signDiscord,
};

/** A source's local secret: what the pipeline verifies with, and (for key pairs) what `send` signs with. */
export interface LocalSourceSecret {
  /** The value stored in Secrets Manager (the shared secret, or the public key for SendGrid/Discord). */
  readonly secret: string;
  /** The private key that signs, when it differs from `secret`. */
  readonly signingKey?: string;
}

/** A fresh development secret in the format the provider issues. */
export function generateLocalSecret(provider: ProviderId): LocalSourceSecret {
  switch (provider) {
    case 'stripe':
      return { secret: `whsec_${randomBytes(24).toString('hex')}` };
    case 'standard-webhooks':
      return { secret: `whsec_${randomBytes(24).toString('base64')}` };
    case 'sendgrid': {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      return {
        secret: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
        signingKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      };
    }
    case 'discord': {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const der = publicKey.export({ format: 'der', type: 'spki' });
      return {
        // Discord shows the raw 32-byte public key in hex: the DER SPKI minus its 12-byte prefix.
        secret: der.subarray(der.length - 32).toString('hex'),
        signingKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      };
    }
    case 'adyen':
      return { secret: randomBytes(32).toString('hex').toUpperCase() };
    default:
      return { secret: randomBytes(20).toString('hex') };
  }
}
