/**
 * The fuzz run behind `npm run fuzz` and its CI version: thousands of generated hostile requests against
 * the REAL ingest handler (`createIngestHandler` with the real SQS/S3 ports on the emulators), then a check
 * of every answer and of everything that reached the queue and the DLQ.
 *
 * Promises checked (each breach is a violation and fails the run):
 * - `crash`: the handler threw or returned something that is not an HTTP answer;
 * - `5xx`: any 5xx (the queue is up, so none is legitimate);
 * - `forgery_accepted`: a 2xx for a request that must be rejected (wrong secret, tampered or truncated
 *   body, stale/future timestamp, garbage signature, wrong method or path…);
 * - `forgery_enqueued`: a message on the queue or DLQ whose bytes were never signed with the real secret;
 * - `bad_4xx_body`: a 4xx without a JSON body carrying a string `error`;
 * - `legit_rejected`: a correctly signed, fresh delivery that was not accepted.
 */
import { createHash } from 'node:crypto';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { SqsQueue } from '../../lambdas/ingest/aws-ports';
import { createIngestHandler } from '../../lambdas/ingest/handler';
import type { IngestLogger, IngestMetrics } from '../../lambdas/ingest/ports';
import { S3ClaimCheckStore } from '../../lambdas/ingest/s3-claim-check';
import { extractEvents, schemeFor } from '../../lambdas/providers/index';
import type { ProviderId } from '../../lambdas/providers/types';
import { createSqsClient } from '../../lambdas/shared/aws-clients';
import type { HttpTriggerEvent } from '../../lambdas/shared/request';
import { createS3Client } from '../../lambdas/shared/s3-client';
import { parseSecretString, type SecretSource } from '../../lambdas/shared/secrets';
import type { SourceConfig } from '../../lambdas/shared/source-config';
import type { SourceDefinition } from '../../lib/config';
import { pipelineConfig } from '../../lib/pipeline-config';
import { runtimeSources } from '../../lib/resource-definitions';
import { toHttpApiEvent } from '../../local/http-gateway';
import {
  type LocalSecretsFile,
  readLocalSecrets,
  SECRETS_EXAMPLE_PATH,
  secretStringOf,
} from '../../local/local-secrets';
import { generateLocalSecret } from '../../local/signers';
import { createDeliveryFactory, type Delivery, rawHeaders } from './deliveries';
import { createRng, type Rng } from './prng';
import { drainQueue, envelopeBytes, pool } from './queues';

export const FUZZ_CATEGORIES = [
  'valid',
  'duplicate',
  'rest-v1-valid',
  'replay-stale',
  'future-timestamp',
  'wrong-secret',
  'tampered-body',
  'truncated-body',
  'garbage-body',
  'garbage-signature',
  'huge-headers',
  'wrong-encoding',
  'duplicated-headers',
  'unicode-body',
  'invalid-base64',
  'wrong-method',
  'wrong-path',
  'malformed-event',
  'oversized-body',
] as const;
export type FuzzCategory = (typeof FUZZ_CATEGORIES)[number];

const WEIGHTS: Record<FuzzCategory, number> = {
  valid: 8,
  duplicate: 3,
  'rest-v1-valid': 3,
  'replay-stale': 8,
  'future-timestamp': 3,
  'wrong-secret': 10,
  'tampered-body': 10,
  'truncated-body': 6,
  'garbage-body': 6,
  'garbage-signature': 6,
  'huge-headers': 4,
  'wrong-encoding': 5,
  'duplicated-headers': 5,
  'unicode-body': 8,
  'invalid-base64': 4,
  'wrong-method': 3,
  'wrong-path': 4,
  'malformed-event': 3,
  'oversized-body': 0.3,
};

export type ViolationKind =
  | 'crash'
  | '5xx'
  | 'forgery_accepted'
  | 'forgery_enqueued'
  | 'bad_4xx_body'
  | 'legit_rejected';

export interface Violation {
  readonly kind: ViolationKind;
  readonly category: FuzzCategory | 'queue';
  readonly detail: string;
}

export interface CategoryStats {
  requests: number;
  accepted: number;
  rejected4xx: number;
  status5xx: number;
  crashes: number;
}

export interface FuzzReport {
  readonly seed: number;
  readonly requests: number;
  readonly durationMs: number;
  readonly requestsPerSecond: number;
  readonly byCategory: Record<string, CategoryStats>;
  readonly statusCounts: Record<string, number>;
  readonly rejectReasons: Record<string, number>;
  readonly queue: { readonly messages: number; readonly dlqMessages: number; readonly unsigned: number };
  readonly violations: {
    readonly total: number;
    readonly byKind: Record<string, number>;
    readonly samples: Violation[];
  };
  /** Warnings and errors the handler logged (first 50). */
  readonly handlerLogs: readonly string[];
  readonly ok: boolean;
}

export interface FuzzOptions {
  /** Requests to generate. @default 10000 */
  readonly count?: number;
  /** @default 1 */
  readonly seed?: number;
  /** Requests in flight at once. @default 8 */
  readonly concurrency?: number;
  /**
   * Wraps the secret source the handler verifies with. The deliberately broken build in the tests hands
   * out the attacker's key too, which must be reported as forgeries.
   */
  readonly secrets?: (real: SecretSource) => SecretSource;
  /** The attacker's keys (what forged requests are signed with). @default generated per run */
  readonly attacker?: LocalSecretsFile;
  /** Progress lines. @default none */
  readonly log?: (line: string) => void;
}

/** A fresh set of keys, in each provider's format, for every source: what an attacker would sign with. */
export function generateAttackerSecrets(
  sources: readonly SourceDefinition[] = pipelineConfig.sources,
): LocalSecretsFile {
  return {
    cdpApiKey: 'attacker',
    sources: Object.fromEntries(
      sources.map((s) => {
        const generated = generateLocalSecret(s.provider);
        return [
          s.id,
          { secret: generated.secret, ...(generated.signingKey ? { signingKey: generated.signingKey } : {}) },
        ];
      }),
    ),
  };
}

/** Base URL the fuzz sources are configured with (URL-bound schemes sign it). */
const PUBLIC_BASE = 'https://hooks.fuzz.example';

interface Case {
  readonly category: FuzzCategory;
  readonly event: unknown;
  /** reject: any 2xx is a forgery; accept: anything but 2xx is a false rejection; either: no expectation. */
  readonly expect: 'reject' | 'accept' | 'either';
  /** Authentic bytes this request may legitimately put on the queue. */
  readonly legit?: { readonly source: SourceDefinition; readonly delivery: Delivery };
}

function sha(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** An in-memory secret source over local mode's secrets file (what Secrets Manager would return). */
export function fileSecretSource(
  file: LocalSecretsFile,
  idOf: (secretId: string) => string | undefined,
): SecretSource {
  return {
    async getActiveSecrets(secretId) {
      const sourceId = idOf(secretId);
      const entry = sourceId ? file.sources[sourceId] : undefined;
      return entry ? parseSecretString(secretStringOf(entry)) : [];
    },
  };
}

// Characters above U+FFFF are left out: real SQS accepts them, but fauxqs (the local SQS) refuses them
// with InvalidMessageContents, which would turn an emulator gap into a reported 5xx.
const EDGE_STRINGS = [
  '\u0000',
  '\uFEFF',
  '\uFFFE',
  '\uFFFF',
  '\u202E',
  '\u200B',
  'e\u0301\u0301\u0301',
  '\uD800',
  '\uDFFF',
  '\\u0000',
  '"\\',
  '%00%ff',
  '\r\n\r\n',
  'ＡＢＣ',
  '<script>',
  "' OR 1=1 --",
];
const EDGE_BYTES = [
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xff, 0xfe]),
  Buffer.from([0x80, 0x80]),
  Buffer.from([0xef, 0xbb, 0xbf]),
  Buffer.from([0x00]),
];

function unicodeBody(rng: Rng): Buffer {
  const parts: Buffer[] = [Buffer.from(`{"id":"evt_${rng.int(1, 1e9)}","type":"`)];
  for (let i = rng.int(1, 6); i > 0; i--) {
    parts.push(rng.chance(0.5) ? Buffer.from(rng.pick(EDGE_STRINGS), 'utf8') : rng.pick(EDGE_BYTES));
  }
  parts.push(Buffer.from('","data":{"object":{"email":"'));
  parts.push(Buffer.from(rng.pick(EDGE_STRINGS), 'utf8'));
  parts.push(Buffer.from('"}}}'));
  return Buffer.concat(parts);
}

function randomText(rng: Rng, min: number, max: number): string {
  const alphabet = 'abcdefABCDEF0123456789=,;:+/_- .v1t';
  let s = '';
  for (let i = rng.int(min, max); i > 0; i--) s += alphabet[rng.int(0, alphabet.length - 1)];
  return s;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Changes one alphanumeric character (so form and JSON bodies both change meaning, not just bytes). */
function tamper(body: Buffer, rng: Rng): Buffer {
  const text = body.toString('latin1');
  const positions: number[] = [];
  for (let i = 0; i < text.length; i++) if (ALNUM.includes(text[i] ?? '')) positions.push(i);
  if (positions.length === 0) return Buffer.concat([body, Buffer.from('x')]);
  const at = rng.pick(positions);
  const original = text[at] ?? 'a';
  let replacement = original;
  while (replacement === original) replacement = rng.pick([...ALNUM]);
  return Buffer.from(text.slice(0, at) + replacement + text.slice(at + 1), 'latin1');
}

function withHeaders(delivery: Delivery, headers: Record<string, string>): Delivery {
  return { ...delivery, headers };
}

/** Headers that carry the signature itself: those that change when another key signs the same request. */
function signatureHeaderNames(delivery: Delivery, other: Delivery): string[] {
  return Object.keys(delivery.headers).filter((n) => delivery.headers[n] !== other.headers[n]);
}

function v2Event(delivery: Delivery): APIGatewayProxyEventV2 {
  const url = new URL(delivery.url);
  const rawHeadersList = Object.entries(delivery.headers).flat();
  rawHeadersList.push('host', url.host);
  const event = toHttpApiEvent(
    {
      method: 'POST',
      target: `${url.pathname}${url.search}`,
      rawHeaders: rawHeadersList,
      body: delivery.body,
      sourceIp: '203.0.113.7',
    },
    url.pathname.split('/').pop() ?? '',
  );
  return event;
}

function v1Event(delivery: Delivery, multi?: Record<string, string[]>): APIGatewayProxyEvent {
  const url = new URL(delivery.url);
  const headers: Record<string, string> = { ...delivery.headers, Host: url.host };
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const sourceId = url.pathname.split('/').pop() ?? '';
  return {
    resource: '/webhooks/{sourceId}',
    path: url.pathname,
    httpMethod: 'POST',
    headers,
    multiValueHeaders: multi ?? Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: null,
    pathParameters: { sourceId },
    stageVariables: null,
    body: delivery.body.toString('base64'),
    isBase64Encoded: true,
    requestContext: {
      accountId: '000000000000',
      apiId: 'fuzz',
      authorizer: undefined,
      domainName: url.host,
      httpMethod: 'POST',
      identity: { sourceIp: '203.0.113.7' } as APIGatewayProxyEvent['requestContext']['identity'],
      path: url.pathname,
      protocol: 'HTTP/1.1',
      requestId: 'fuzz',
      requestTimeEpoch: Date.now(),
      resourceId: 'fuzz',
      resourcePath: '/webhooks/{sourceId}',
      stage: 'prod',
    },
  };
}

/** Runs the fuzz; needs the emulators' endpoints in the environment (AWS_ENDPOINT_URL_SQS/S3). */
export async function runFuzz(options: FuzzOptions = {}): Promise<FuzzReport> {
  const count = options.count ?? 10_000;
  const seed = options.seed ?? 1;
  const log = options.log ?? (() => {});
  const rng = createRng(seed);
  const sqs = createSqsClient();
  const s3 = createS3Client();
  const suffix = `${process.pid}-${Date.now().toString(36)}`;
  const queueUrl =
    (await sqs.send(new CreateQueueCommand({ QueueName: `fuzz-queue-${suffix}` }))).QueueUrl ?? '';
  const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `fuzz-dlq-${suffix}` }))).QueueUrl ?? '';
  const bucket = `fuzz-claims-${suffix}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));

  const definitions = pipelineConfig.sources;
  const runtime: SourceConfig[] = runtimeSources(definitions, (s) => `fuzz/${s.id}`).map((s) => ({
    ...s,
    publicUrl: `${PUBLIC_BASE}/webhooks/${s.id}`,
  }));
  const file = readLocalSecrets(SECRETS_EXAMPLE_PATH);
  const realSecrets = fileSecretSource(file, (secretId) => secretId.replace(/^fuzz\//, ''));
  const secrets = options.secrets ? options.secrets(realSecrets) : realSecrets;
  const violations: Violation[] = [];
  // Warnings and errors the handler logged, kept for the report: they explain any 5xx.
  const handlerLogs: string[] = [];
  const keep = (level: string) => (message: string, attributes?: Record<string, unknown>) => {
    if (handlerLogs.length < 50) handlerLogs.push(`${level} ${message} ${JSON.stringify(attributes ?? {})}`);
  };
  const logger: IngestLogger = { debug() {}, info() {}, warn: keep('WARN'), error: keep('ERROR') };
  const metrics: IngestMetrics = { count() {}, flush() {} };
  const handler = createIngestHandler({
    sources: new Map(runtime.map((s) => [s.id, s])),
    secrets,
    queue: new SqsQueue(sqs, queueUrl),
    deadLetterQueue: new SqsQueue(sqs, dlqUrl),
    claimCheck: new S3ClaimCheckStore(s3, bucket),
    logger,
    metrics,
  });

  const factory = createDeliveryFactory({ baseUrl: PUBLIC_BASE, sources: definitions, secrets: file, rng });
  const attackerFile = options.attacker ?? generateAttackerSecrets(definitions);
  const attacker = createDeliveryFactory({
    baseUrl: PUBLIC_BASE,
    sources: definitions,
    secrets: attackerFile,
    rng,
  });
  const sourceOf = (id: string) => factory.sources.find((s) => s.id === id);
  const timestamped = (provider: ProviderId) => schemeFor(provider)?.defaultToleranceSeconds;
  const recentValid: Delivery[] = [];

  const totalWeight = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
  function category(): FuzzCategory {
    let r = rng.next() * totalWeight;
    for (const name of FUZZ_CATEGORIES) {
      r -= WEIGHTS[name];
      if (r < 0) return name;
    }
    return 'valid';
  }

  function legitCase(cat: FuzzCategory, delivery: Delivery, event: unknown, expect: Case['expect']): Case {
    const source = sourceOf(delivery.sourceId);
    return { category: cat, event, expect, ...(source ? { legit: { source, delivery } } : {}) };
  }

  /**
   * A delivery as sent at `atMs`. Where a scheme judges freshness on a time inside the signed body rather
   * than on a header (Klaviyo's `meta.timestamp`: its `Klaviyo-Timestamp` header is signed but not a
   * trustworthy clock), a stale or future delivery carries that time in its body too.
   */
  function sentAt(d: Delivery, atMs: number): Delivery {
    if (d.provider !== 'klaviyo') return d;
    const json = JSON.parse(d.body.toString('utf8')) as { meta?: Record<string, unknown> };
    json.meta = { ...json.meta, timestamp: new Date(atMs).toISOString() };
    return { ...d, body: Buffer.from(JSON.stringify(json), 'utf8') };
  }

  function buildCase(): Case {
    const cat = category();
    const fresh = factory.fresh();
    // Signed by the real key and by the attacker's at the same instant: the headers that differ carry the signature.
    const signedAt = Date.now();
    const d = factory.resign(fresh, signedAt);
    const sigNames = () => signatureHeaderNames(d, attacker.resign(d, signedAt));
    switch (cat) {
      case 'valid':
        recentValid.push(d);
        if (recentValid.length > 50) recentValid.shift();
        return legitCase(cat, d, v2Event(d), 'accept');
      case 'duplicate': {
        const earlier = recentValid.length ? rng.pick(recentValid) : d;
        return legitCase(cat, earlier, v2Event(earlier), 'accept');
      }
      case 'rest-v1-valid':
        return legitCase(cat, d, v1Event(d), 'accept');
      case 'replay-stale':
      case 'future-timestamp': {
        const tolerance = timestamped(d.provider);
        const offset = ((tolerance ?? 300) + rng.int(5, 86_400)) * 1000;
        const at = Date.now() + (cat === 'replay-stale' ? -offset : offset);
        const signed = factory.resign(sentAt(d, at), at);
        return tolerance === undefined
          ? legitCase(cat, signed, v2Event(signed), 'either')
          : { category: cat, event: v2Event(signed), expect: 'reject' };
      }
      case 'wrong-secret': {
        const forged = attacker.fresh();
        return { category: cat, event: v2Event(forged), expect: 'reject' };
      }
      case 'tampered-body':
        return { category: cat, event: v2Event({ ...d, body: tamper(d.body, rng) }), expect: 'reject' };
      case 'truncated-body': {
        const body = d.body.subarray(0, rng.int(0, Math.max(0, d.body.length - 1)));
        return { category: cat, event: v2Event({ ...d, body }), expect: 'reject' };
      }
      case 'garbage-body': {
        const headers: Record<string, string> = { 'Content-Type': d.contentType };
        if (rng.chance(0.7)) for (const name of sigNames()) headers[name] = randomText(rng, 0, 120);
        const body = rng.bytes(rng.int(0, 4096));
        return { category: cat, event: v2Event(withHeaders({ ...d, body }, headers)), expect: 'reject' };
      }
      case 'garbage-signature': {
        const headers = { ...d.headers };
        const names = sigNames();
        const shapes = [
          () => '',
          () => ' ',
          () => randomText(rng, 1, 200),
          () => 'A'.repeat(rng.int(1000, 65_536)),
          () => `t=${rng.int(-1e6, 1e12)},v1=${randomText(rng, 64, 64)}`,
          () => `v1,${Buffer.from(randomText(rng, 32, 32)).toString('base64')}`,
          () => 'sha256=\r\nX-Injected: 1',
          () => '99999999999999999999999',
          () => `${'\u0000'.repeat(4)}`,
        ];
        for (const name of names) headers[name] = rng.pick(shapes)();
        if (names.length > 0 && rng.chance(0.2)) delete headers[rng.pick(names)];
        return { category: cat, event: v2Event(withHeaders(d, headers)), expect: 'reject' };
      }
      case 'huge-headers': {
        const headers = { ...d.headers };
        if (rng.chance(0.5)) {
          for (let i = rng.int(1, 3); i > 0; i--)
            headers[`X-Huge-${i}`] = 'h'.repeat(rng.int(16_384, 65_536));
        } else {
          for (let i = 0; i < 300; i++) headers[`X-Many-${i}`] = randomText(rng, 1, 40);
        }
        return legitCase(cat, d, v2Event(withHeaders(d, headers)), 'either');
      }
      case 'wrong-encoding': {
        const variants = [
          () => Buffer.from(d.body.toString('utf8'), 'utf16le'),
          () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), d.body]),
          () => Buffer.from(d.body.toString('base64')),
          () => Buffer.from(encodeURIComponent(d.body.toString('utf8'))),
        ];
        if (rng.chance(0.25)) {
          // Authentic bytes with misleading encoding headers: may be accepted, never a 5xx.
          const headers = {
            ...d.headers,
            'Content-Type': `${d.contentType.split(';')[0]}; charset=utf-16`,
            'Content-Encoding': 'gzip',
          };
          return legitCase(cat, d, v2Event(withHeaders(d, headers)), 'either');
        }
        const variant = rng.int(0, variants.length - 1);
        const body = (variants[variant] ?? variants[0] ?? (() => d.body))();
        // Twilio signs the form parameters, not the bytes, and its parameters survive a leading BOM
        // unchanged: that delivery is the same authentic request, not a forgery.
        if (variant === 1 && d.provider === 'twilio' && !d.contentType.includes('json')) {
          const same = { ...d, body };
          return legitCase(cat, same, v2Event(same), 'either');
        }
        return { category: cat, event: v2Event({ ...d, body }), expect: 'reject' };
      }
      case 'duplicated-headers': {
        const names = sigNames();
        const name = names.length ? rng.pick(names) : 'X-Signature';
        const valid = d.headers[name] ?? '';
        const garbage = randomText(rng, 10, 90);
        const mode = rng.int(0, 2);
        const multi: Record<string, string[]> = {};
        for (const [k, v] of Object.entries(d.headers)) {
          if (mode === 2 && names.includes(k)) {
            // No valid copy of any signature header is left: providers that send a legacy signature
            // beside the current one (GitHub sha1, HubSpot v1) would otherwise still be authentic.
            const junk = k === name ? garbage : randomText(rng, 10, 90);
            multi[k] = [junk, `${junk}x`];
          } else {
            multi[k] = k === name ? (mode === 0 ? [valid, garbage] : [garbage, valid]) : [v];
          }
        }
        const event = v1Event(d, multi);
        return mode === 2 ? { category: cat, event, expect: 'reject' } : legitCase(cat, d, event, 'either');
      }
      case 'unicode-body': {
        const body = unicodeBody(rng);
        const source = sourceOf(d.sourceId);
        const signer = rng.chance(0.5) ? factory : attacker;
        const base = { ...d, body, fixtureHeaders: d.fixtureHeaders };
        const signed = signer.resign(base);
        if (signer === attacker || !source)
          return { category: cat, event: v2Event(signed), expect: 'reject' };
        return legitCase(cat, signed, v2Event(signed), 'either');
      }
      case 'invalid-base64': {
        const event = v2Event(d);
        const garbage = rng.chance(0.5)
          ? `!!${randomText(rng, 5, 400)}%%`
          : d.body.toString('base64').slice(1);
        return {
          category: cat,
          event: { ...event, body: garbage, isBase64Encoded: rng.chance(0.8) },
          expect: 'reject',
        };
      }
      case 'wrong-method': {
        const event = v2Event(d);
        const method = rng.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'post ', 'TRACE', '']);
        return {
          category: cat,
          event: {
            ...event,
            requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method } },
          },
          expect: 'reject',
        };
      }
      case 'wrong-path': {
        const id = rng.pick([
          'nope',
          d.sourceId.toUpperCase(),
          `..%2F${d.sourceId}`,
          `${d.sourceId}%00`,
          '',
          'a'.repeat(2000),
          '%E0%A4%A',
          `${d.sourceId}/extra`,
          '__proto__',
          'constructor',
        ]);
        const event = v2Event(d);
        const rawPath = `/webhooks/${id}`;
        const shaped = rng.chance(0.5)
          ? { ...event, rawPath, pathParameters: { sourceId: id } }
          : { ...event, rawPath, pathParameters: undefined };
        return { category: cat, event: shaped, expect: 'reject' };
      }
      case 'malformed-event': {
        const event = v2Event(d);
        // Shapes that keep the authentic bytes and signature may be accepted; the others must not be.
        const shapes: [unknown, Case['expect']][] = [
          [null, 'reject'],
          [{}, 'reject'],
          [{ ...event, requestContext: undefined }, 'either'],
          [{ ...event, headers: null }, 'reject'],
          [{ ...event, body: null }, 'reject'],
          [{ ...event, headers: { ...event.headers, 'x-num': 5 } }, 'either'],
          [
            {
              httpMethod: 'POST',
              path: `/webhooks/${d.sourceId}`,
              headers: null,
              multiValueHeaders: null,
              body: 'x',
            },
            'reject',
          ],
          [{ ...event, rawPath: undefined, pathParameters: undefined }, 'either'],
          ['not an event', 'reject'],
          [[], 'reject'],
        ];
        const [shape, expect] = rng.pick(shapes);
        return expect === 'reject'
          ? { category: cat, event: shape, expect }
          : legitCase(cat, d, shape, expect);
      }
      case 'oversized-body': {
        const body = Buffer.concat([d.body, Buffer.alloc(1024 * 1024 + rng.int(1, 4096), 0x20)]);
        const signed = factory.resign({ ...d, body });
        return { category: cat, event: v2Event(signed), expect: 'reject' };
      }
    }
  }

  const byCategory: Record<string, CategoryStats> = {};
  const statusCounts: Record<string, number> = {};
  const rejectReasons: Record<string, number> = {};
  const legitHashes = new Set<string>();
  const addViolation = (v: Violation) => violations.push(v);

  function remember(legit: NonNullable<Case['legit']>): void {
    legitHashes.add(sha(legit.delivery.body));
    const extraction = extractEvents(legit.source.provider, {
      method: 'POST',
      url: legit.delivery.url,
      headers: rawHeaders(legit.delivery.headers),
      body: legit.delivery.body,
    });
    if (extraction.ok) for (const e of extraction.events) legitHashes.add(sha(e.raw));
  }

  const started = Date.now();
  let done = 0;
  const indices = Array.from({ length: count }, (_, i) => i);
  // Cases are generated up front, in order, so the seed alone decides the run.
  const cases = indices.map(() => buildCase());
  await pool(cases, options.concurrency ?? 8, async (c) => {
    const stats = byCategory[c.category] ?? {
      requests: 0,
      accepted: 0,
      rejected4xx: 0,
      status5xx: 0,
      crashes: 0,
    };
    byCategory[c.category] = stats;
    stats.requests += 1;
    if (c.legit) remember(c.legit);
    let status: number;
    let body: string;
    try {
      const result: unknown = await handler(c.event as HttpTriggerEvent);
      const shaped = result as { statusCode?: unknown; body?: unknown } | null;
      if (typeof shaped?.statusCode !== 'number' || typeof shaped.body !== 'string') {
        stats.crashes += 1;
        addViolation({ kind: 'crash', category: c.category, detail: 'handler returned no HTTP answer' });
        return;
      }
      status = shaped.statusCode;
      body = shaped.body;
    } catch (error) {
      stats.crashes += 1;
      addViolation({
        kind: 'crash',
        category: c.category,
        detail: String((error as Error)?.stack ?? error).slice(0, 300),
      });
      return;
    }
    statusCounts[status] = (statusCounts[status] ?? 0) + 1;
    if (status >= 500) {
      stats.status5xx += 1;
      addViolation({ kind: '5xx', category: c.category, detail: `${status} ${body.slice(0, 200)}` });
    } else if (status >= 200 && status < 300) {
      stats.accepted += 1;
      if (c.expect === 'reject')
        addViolation({
          kind: 'forgery_accepted',
          category: c.category,
          detail: `${status} ${body.slice(0, 200)}`,
        });
    } else {
      stats.rejected4xx += 1;
      let error: unknown;
      try {
        error = (JSON.parse(body) as { error?: unknown }).error;
      } catch {
        error = undefined;
      }
      if (typeof error !== 'string')
        addViolation({
          kind: 'bad_4xx_body',
          category: c.category,
          detail: `${status} ${body.slice(0, 200)}`,
        });
      else rejectReasons[error] = (rejectReasons[error] ?? 0) + 1;
      if (c.expect === 'accept')
        addViolation({
          kind: 'legit_rejected',
          category: c.category,
          detail: `${status} ${body.slice(0, 200)}`,
        });
    }
    done += 1;
    if (done % 1000 === 0) log(`  ${done}/${count} requests`);
  });
  const durationMs = Date.now() - started;

  const queued = await drainQueue(sqs, queueUrl);
  const dead = await drainQueue(sqs, dlqUrl);
  let unsigned = 0;
  for (const item of [...queued, ...dead]) {
    const bytes = item.envelope
      ? await envelopeBytes(s3, item.envelope)
      : Buffer.from(item.message.Body ?? '');
    if (!legitHashes.has(sha(bytes))) {
      unsigned += 1;
      addViolation({
        kind: 'forgery_enqueued',
        category: 'queue',
        detail: `message ${item.message.MessageId} from ${item.envelope?.sourceId ?? '?'} carries bytes never signed with the real secret`,
      });
    }
  }

  const byKind: Record<string, number> = {};
  for (const v of violations) byKind[v.kind] = (byKind[v.kind] ?? 0) + 1;
  return {
    seed,
    requests: count,
    durationMs,
    requestsPerSecond: Math.round((count / Math.max(1, durationMs)) * 1000),
    byCategory,
    statusCounts,
    rejectReasons,
    queue: { messages: queued.length, dlqMessages: dead.length, unsigned },
    violations: { total: violations.length, byKind, samples: violations.slice(0, 20) },
    handlerLogs,
    ok: violations.length === 0,
  };
}
