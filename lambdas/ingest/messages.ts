/**
 * From accepted events to SQS messages: the queue envelope, its message attributes, the header allowlist,
 * the claim-check decision and the packing of messages into SendMessageBatch calls. Pure.
 */
import {
  ENVELOPE_VERSION,
  type EnvelopeBody,
  MESSAGE_ATTRIBUTES,
  type QueueEnvelope,
} from '../shared/envelope';
import type { QueueEntry } from './ports';

/** SQS's hard limit for one message and for one SendMessageBatch call (body plus attributes). */
export const SQS_MAX_PAYLOAD_BYTES = 1024 * 1024;
/** SQS's limit on entries per SendMessageBatch call. */
export const SQS_MAX_BATCH_ENTRIES = 10;
/** Room kept for message attributes when a claim-check threshold is configured close to the SQS limit. */
export const ATTRIBUTE_HEADROOM_BYTES = 8 * 1024;
/** Longest attribute value we send; long enough for any real dedupe key, short enough to never matter. */
const MAX_ATTRIBUTE_CHARS = 1024;

/**
 * Request headers copied into the envelope: content negotiation, the client, and providers' topic, event,
 * delivery and timestamp headers. Signature, authorization and cookie headers are deliberately absent.
 * Most of these are not covered by their provider's signature (a replay can rewrite them), so they are
 * labels for logs and debugging only: no dedupe key and no mapping decision is derived from them
 * (lambdas/providers, README "How it works").
 */
export const FORWARDED_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-encoding',
  'user-agent',
  'x-github-event',
  'x-github-delivery',
  'x-github-hook-id',
  'x-github-hook-installation-target-type',
  'x-github-hook-installation-target-id',
  'x-shopify-topic',
  'x-shopify-event-id',
  'x-shopify-webhook-id',
  'x-shopify-shop-domain',
  'x-shopify-api-version',
  'x-shopify-triggered-at',
  // Shopify's newer spelling of the same headers (see lambdas/providers/shopify.ts).
  'shopify-topic',
  'shopify-event-id',
  'shopify-webhook-id',
  'shopify-shop-domain',
  'shopify-api-version',
  'shopify-triggered-at',
  'webhook-id',
  'webhook-timestamp',
  'svix-id',
  'svix-timestamp',
  'x-slack-request-timestamp',
  'x-slack-retry-num',
  'x-slack-retry-reason',
  'i-twilio-idempotency-token',
  'x-hubspot-request-timestamp',
  'x-twilio-email-event-webhook-timestamp',
  'klaviyo-webhook-id',
  'klaviyo-timestamp',
  'linear-delivery',
  'linear-event',
  'linear-timestamp',
  'x-zendesk-webhook-id',
  'x-zendesk-webhook-invocation-id',
  'x-zendesk-webhook-signature-timestamp',
  'x-signature-timestamp',
  'paddle-version',
  'x-request-id',
]);

/** The allowlisted headers, one value each (repeats joined with ", " as HTTP allows). */
export function forwardedHeaders(
  headers: Readonly<Record<string, readonly string[]>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(headers)) {
    if (FORWARDED_HEADERS.has(name) && values.length > 0) out[name] = values.join(', ');
  }
  return out;
}

// Characters SQS refuses in bodies and attribute values. JSON.stringify already escapes control characters
// and lone surrogates, so only U+FFFE/U+FFFF can survive into a serialised envelope.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what is matched.
const SQS_INVALID = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Replaces characters SQS rejects (which would make an authentic event unqueueable forever). */
export function sqsSafe(text: string): string {
  return text.replace(SQS_INVALID, '\uFFFD');
}

/** Everything an envelope carries except its version and body, which `envelopeJson` adds. */
export type EnvelopeFields = Omit<QueueEnvelope, 'v' | 'body'>;

export function envelopeJson(fields: EnvelopeFields, body: EnvelopeBody): string {
  const envelope: QueueEnvelope = { v: ENVELOPE_VERSION, ...fields, body };
  return sqsSafe(JSON.stringify(envelope));
}

export function inlineBody(raw: Buffer): EnvelopeBody {
  return { kind: 'inline', base64: raw.toString('base64') };
}

export function messageAttributes(fields: EnvelopeFields): Record<string, string> {
  const clip = (value: string) => sqsSafe(value.slice(0, MAX_ATTRIBUTE_CHARS)) || 'unknown';
  return {
    [MESSAGE_ATTRIBUTES.sourceId]: clip(fields.sourceId),
    [MESSAGE_ATTRIBUTES.provider]: clip(fields.provider),
    [MESSAGE_ATTRIBUTES.eventType]: clip(fields.eventType),
    [MESSAGE_ATTRIBUTES.dedupeKey]: clip(fields.dedupeKey),
  };
}

/** Bytes SQS counts for a message: the body plus each attribute's name, data type and value. */
export function messageSize(entry: Pick<QueueEntry, 'body' | 'attributes'>): number {
  let size = Buffer.byteLength(entry.body, 'utf8');
  for (const [name, value] of Object.entries(entry.attributes)) {
    size += Buffer.byteLength(name, 'utf8') + 'String'.length + Buffer.byteLength(value, 'utf8');
  }
  return size;
}

/** `<sourceId>/<yyyy>/<mm>/<dd>/<uuid>`: partitioned by day so lifecycle rules and listings stay cheap. */
export function claimCheckKey(sourceId: string, receivedAt: Date, uuid: string): string {
  const yyyy = String(receivedAt.getUTCFullYear());
  const mm = String(receivedAt.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(receivedAt.getUTCDate()).padStart(2, '0');
  return `${sourceId}/${yyyy}/${mm}/${dd}/${uuid}`;
}

/**
 * Packs entries, in order, into SendMessageBatch calls of at most 10 entries and at most 1 MiB. Every
 * entry must itself fit (the claim check guarantees it); one that does not gets a batch of its own and SQS
 * reports it as failed.
 */
export function packBatches(
  entries: readonly QueueEntry[],
  maxEntries = SQS_MAX_BATCH_ENTRIES,
  maxBytes = SQS_MAX_PAYLOAD_BYTES,
): QueueEntry[][] {
  const batches: QueueEntry[][] = [];
  let current: QueueEntry[] = [];
  let currentBytes = 0;
  for (const entry of entries) {
    const size = messageSize(entry);
    if (current.length > 0 && (current.length >= maxEntries || currentBytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(entry);
    currentBytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The largest claim-check threshold that still leaves room for attributes under SQS's limit. */
export const MAX_CLAIM_CHECK_THRESHOLD_BYTES = SQS_MAX_PAYLOAD_BYTES - ATTRIBUTE_HEADROOM_BYTES;

/** Validates a configured threshold; throws so a bad deployment fails at cold start. */
export function checkClaimCheckThreshold(bytes: number): number {
  if (!Number.isInteger(bytes) || bytes < 1024 || bytes > MAX_CLAIM_CHECK_THRESHOLD_BYTES) {
    throw new RangeError(
      `Claim-check threshold must be an integer between 1024 and ${MAX_CLAIM_CHECK_THRESHOLD_BYTES} bytes, got ${bytes}`,
    );
  }
  return bytes;
}
