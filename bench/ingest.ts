/**
 * Ingest function cost, against loopback fauxqs (SQS + S3) and the Secrets Manager stand-in:
 *
 * - Warm: median wall time per request of the real handler (secrets cached, clients warm) for a 2 KB and a
 *   64 KB Stripe delivery and a 100-event HubSpot batch, each against its baseline: the same event bytes
 *   sent bare from the same process (one SendMessage, or ten 10-entry SendMessageBatch calls in parallel),
 *   which is what any front door must at least spend to queue them durably. Interleaved round-robin so
 *   machine noise hits handler and baseline alike.
 * - Cold-start proxy: the handler bundled exactly as the CDK house function bundles it (esbuild, ESM with
 *   code splitting, minified, source maps, AWS SDK bundled), then in a fresh `node` process: import the
 *   bundle's entry and serve a first request. Baseline: a fresh process importing a bundle of
 *   `@aws-sdk/client-sqs` alone (same options) and sending one message. Both alternate; medians over the
 *   runs. Also the bytes each bundle parses at import (entry and the chunks it imports statically) and,
 *   apart, its lazy chunks (loaded by a dynamic `import()`, which no request of this bench reaches).
 *
 * Logs run at WARN and EMF metrics are disabled so the console stays readable (INFO adds one JSON line
 * per event to stdout in Lambda).
 *
 * Run: `npx tsx bench/ingest.ts [--warm-rounds 150] [--cold-runs 9]`, or via `npm run bench`.
 * Writes bench/results/ingest.json and bench/results/ingest.md.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  PurgeQueueCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { createIngestHandler, depsFromEnv } from '../lambdas/ingest/handler';
import { createSecretsManagerClient, createSqsClient } from '../lambdas/shared/aws-clients';
import type { QueueEnvelope } from '../lambdas/shared/envelope';
import type { HttpTriggerEvent } from '../lambdas/shared/request';
import { createS3Client } from '../lambdas/shared/s3-client';
import { ENV } from '../lambdas/shared/schema';
import { TRACING_ENV } from '../lambdas/shared/tracing';
import { HOUSE_ESBUILD_TARGET, HOUSE_NODE_OPTIONS } from '../lib/constructs/webhook-function';
import { LOCAL_REGION, startFauxqsOnLoopback } from '../local/emulators';
import { startLocalSecretsManager } from '../local/secrets-manager-server';
import { generateLocalSecret, signHubspot, signStripe } from '../local/signers';
import { bundleLikeLambda, type LambdaBundle } from './lib/bundle';
import { consoleTable, markdownTable, writeResults } from './lib/results';
import { median, percentile, round } from './lib/stats';

const HUBSPOT_URL = 'https://hooks.example.com/webhooks/hubspot';

export interface WarmRow {
  readonly case: string;
  readonly bodyBytes: number;
  readonly events: number;
  readonly samples: number;
  /** Median milliseconds per request. */
  readonly medianMs: number;
  readonly p95Ms: number;
  /** Median ms of the baseline: the same event bytes (base64) sent bare, as one SendMessage or 10-entry batches. */
  readonly baselineMedianMs: number;
  /** Handler median / baseline median. */
  readonly vsBaseline: number;
}

export interface ColdResult {
  readonly runs: number;
  /** Median ms from process start to the first answer (import + first request), bundled handler. */
  readonly handlerMs: number;
  /** Of which: importing the bundle. */
  readonly handlerImportMs: number;
  /** Of which: the first request (client set-up, secret fetch, first TLS-less connection, send). */
  readonly handlerFirstRequestMs: number;
  /** Median ms from process start to a first SendMessage answer, bundled SQS client alone. */
  readonly baselineMs: number;
  readonly baselineImportMs: number;
  readonly ratio: number;
  /** Bytes a fresh process parses on import: the entry file and the chunks it imports statically. */
  readonly bundleBytes: number;
  /** The same files gzipped one by one, summed. */
  readonly bundleGzipBytes: number;
  /** Of {@link bundleBytes}: the entry file `index.mjs` alone. */
  readonly entryFileBytes: number;
  /** Chunks only a dynamic `import()` loads (the S3 client for claim-checked bodies, unused credential providers). */
  readonly lazyChunkBytes: number;
  readonly baselineBundleBytes: number;
  /** Median ms of the floor: Secrets Manager + SQS clients, one GetSecretValue then one SendMessage. */
  readonly floorMs: number;
  readonly floorImportMs: number;
  readonly floorBundleBytes: number;
  /** Handler / floor. */
  readonly vsFloor: number;
  /** `NODE_OPTIONS` every child ran with: production's (lib/constructs/webhook-function.ts). */
  readonly nodeOptions: string;
  /** Ingest target: handler / baseline ≤ this. */
  readonly target: number;
  /**
   * Both bundles built with tracing on (the tracer bundled) and run as on Lambda with active tracing: the
   * Lambda environment's variables, a sampled trace id and an X-Ray daemon address (a UDP socket of this
   * process that counts the segments it receives). Interleaved with the rows above.
   */
  readonly tracing: {
    readonly ingest: TracedRow;
    readonly processor: TracedRow;
    /** Segment documents the children sent to the daemon socket (0 would mean nothing was traced). */
    readonly segmentsReceived: number;
    /** Their names (the handlers' `## <service>.handler` and one per AWS service called). */
    readonly segmentNames: readonly string[];
  };
  /** The processor bundle measured the same way (see {@link PROCESSOR_COLD_RECORD}). */
  readonly processor: {
    readonly ms: number;
    readonly importMs: number;
    readonly firstRequestMs: number;
    readonly ratio: number;
    readonly bundleBytes: number;
    readonly lazyChunkBytes: number;
  };
}

export interface TracedRow {
  readonly ms: number;
  readonly importMs: number;
  readonly firstRequestMs: number;
  readonly bundleBytes: number;
  readonly bundleGzipBytes: number;
  readonly lazyChunkBytes: number;
}

/** The issue's target for the ingest cold-start proxy against the bare SQS client. */
const COLD_TARGET_RATIO = 1.3;

export interface IngestBenchResult {
  readonly generatedAt: string;
  readonly node: string;
  readonly cpu: string;
  readonly esbuild: {
    readonly target: string;
    readonly format: 'esm';
    readonly minify: true;
    readonly sourcemap: true;
  };
  readonly warm: readonly WarmRow[];
  readonly cold: ColdResult;
}

function argValue(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  const value = index === -1 ? undefined : Number(process.argv[index + 1]);
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

function stripeEvent(secret: string, id: string, bytes: number): HttpTriggerEvent {
  const base = JSON.stringify({
    id,
    object: 'event',
    type: 'customer.updated',
    created: 1_700_000_000,
    data: { pad: '' },
  });
  const body = Buffer.from(
    base.replace('"pad":""', `"pad":"${'x'.repeat(Math.max(0, bytes - base.length))}"`),
  );
  return httpEvent('/webhooks/stripe', body, signStripe({ body, url: '', signingKey: secret }).headers);
}

function hubspotEvent(secret: string, batchNumber: number): HttpTriggerEvent {
  const events = Array.from({ length: 100 }, (_, i) => ({
    eventId: batchNumber * 1000 + i,
    subscriptionType: 'contact.propertyChange',
    occurredAt: Date.now(),
    objectId: i,
    propertyName: 'email',
    propertyValue: `user${i}@example.com`,
  }));
  const body = Buffer.from(JSON.stringify(events));
  return httpEvent(
    '/webhooks/hubspot',
    body,
    signHubspot({ body, url: HUBSPOT_URL, signingKey: secret }).headers,
  );
}

/** An HTTP API (payload 2.0) event, as API Gateway delivers it. */
function httpEvent(path: string, body: Buffer, signed: Readonly<Record<string, string>>): HttpTriggerEvent {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'bench/1.0' };
  for (const [name, value] of Object.entries(signed)) headers[name.toLowerCase()] = value;
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/{sourceId}',
    rawPath: path,
    rawQueryString: '',
    headers,
    pathParameters: { sourceId: path.split('/')[2] ?? '' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'bench',
      domainName: 'bench.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'bench',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'bench/1.0' },
      requestId: 'bench',
      routeKey: 'POST /webhooks/{sourceId}',
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 0,
    },
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
}

interface Setup {
  readonly env: Record<string, string>;
  readonly queueUrl: string;
  readonly stripeSecret: string;
  readonly hubspotSecret: string;
  stop(): Promise<void>;
}

async function setUp(): Promise<Setup> {
  const fauxqs = await startFauxqsOnLoopback(0);
  const secretsManager = await startLocalSecretsManager({}, 0);
  const endpoint = fauxqs.address;
  const awsEnv = {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_SQS: endpoint,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
  };
  Object.assign(process.env, awsEnv);
  const sqs = createSqsClient();
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'bench-ingest' }));
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'bench-ingest-dlq' }));
  await createS3Client().send(new CreateBucketCommand({ Bucket: 'bench-claims' }));
  const stripeSecret = generateLocalSecret('stripe').secret;
  const hubspotSecret = generateLocalSecret('hubspot').secret;
  const secrets = createSecretsManagerClient();
  await secrets.send(new CreateSecretCommand({ Name: 'bench-stripe', SecretString: stripeSecret }));
  await secrets.send(new CreateSecretCommand({ Name: 'bench-hubspot', SecretString: hubspotSecret }));
  if (!queue.QueueUrl || !dlq.QueueUrl) throw new Error('fauxqs returned no queue URL');
  const env = {
    ...awsEnv,
    [ENV.sources]: JSON.stringify([
      { id: 'stripe', provider: 'stripe', secretId: 'bench-stripe' },
      { id: 'hubspot', provider: 'hubspot', secretId: 'bench-hubspot', publicUrl: HUBSPOT_URL },
    ]),
    [ENV.queueUrl]: queue.QueueUrl,
    [ENV.dlqUrl]: dlq.QueueUrl,
    [ENV.claimCheckBucket]: 'bench-claims',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  Object.assign(process.env, env);
  return {
    env,
    queueUrl: queue.QueueUrl,
    stripeSecret,
    hubspotSecret,
    async stop() {
      await fauxqs.stop();
      await secretsManager.stop();
    },
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** The bare SQS work of queuing the same bytes: one SendMessage, or 10-entry batches sent in parallel. */
function bareSend(sqs: ReturnType<typeof createSqsClient>, queueUrl: string, messages: readonly string[]) {
  if (messages.length === 1) {
    return sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: messages[0] }));
  }
  const batches: string[][] = [];
  for (let i = 0; i < messages.length; i += 10) batches.push(messages.slice(i, i + 10));
  return Promise.all(
    batches.map((batch) =>
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((body, i) => ({ Id: `b${i}`, MessageBody: body })),
        }),
      ),
    ),
  );
}

async function warmBench(setup: Setup, rounds: number): Promise<WarmRow[]> {
  const handler = createIngestHandler(depsFromEnv());
  const sqs = createSqsClient();
  const bodyOf = (event: HttpTriggerEvent) => Buffer.from((event as { body?: string }).body ?? '', 'base64');
  const cases = [
    {
      name: 'stripe 2 KB',
      events: 1,
      make: (r: number) => stripeEvent(setup.stripeSecret, `evt_a${r}`, 2048),
      bare: (body: Buffer) => [body.toString('base64')],
    },
    {
      name: 'stripe 64 KB',
      events: 1,
      make: (r: number) => stripeEvent(setup.stripeSecret, `evt_b${r}`, 65536),
      bare: (body: Buffer) => [body.toString('base64')],
    },
    {
      name: 'hubspot 100-event batch',
      events: 100,
      make: (r: number) => hubspotEvent(setup.hubspotSecret, r),
      bare: (body: Buffer) =>
        (JSON.parse(body.toString()) as unknown[]).map((e) =>
          Buffer.from(JSON.stringify(e)).toString('base64'),
        ),
    },
  ];
  const samples = new Map(cases.map((c) => [c.name, { handler: [] as number[], bare: [] as number[] }]));
  const sizes = new Map<string, number>();
  const warmup = 15;
  for (let round = 0; round < rounds + warmup; round++) {
    for (const c of cases) {
      const event = c.make(round);
      const body = bodyOf(event);
      sizes.set(c.name, body.length);
      const messages = c.bare(body);
      const bare = await timed(() => bareSend(sqs, setup.queueUrl, messages));
      let status = 0;
      const ms = await timed(async () => {
        status = (await handler(event)).statusCode;
      });
      if (status !== 202) throw new Error(`${c.name}: handler answered ${status}`);
      if (round >= warmup) {
        samples.get(c.name)?.handler.push(ms);
        samples.get(c.name)?.bare.push(bare);
      }
    }
    // Keep fauxqs's queue small so its own cost does not grow with the run.
    if (round % 20 === 19) await sqs.send(new PurgeQueueCommand({ QueueUrl: setup.queueUrl }));
  }
  return cases.map((c) => {
    const { handler: values = [], bare = [] } = samples.get(c.name) ?? {};
    const m = median(values) ?? Number.NaN;
    const b = median(bare) ?? Number.NaN;
    return {
      case: c.name,
      bodyBytes: sizes.get(c.name) ?? 0,
      events: c.events,
      samples: values.length,
      medianMs: round(m, 3),
      p95Ms: round(percentile(values, 95) ?? Number.NaN, 3),
      baselineMedianMs: round(b, 3),
      vsBaseline: round(m / b, 2),
    };
  });
}

/** Child script: times the import of `bundle` and one call, relative to the process's own start. */
const HANDLER_CHILD = `
const t0 = performance.now();
const mod = await import(process.env.BENCH_BUNDLE);
const t1 = performance.now();
const context = { functionName: 'bench', awsRequestId: 'cold', getRemainingTimeInMillis: () => 30000 };
const response = await mod.handler(JSON.parse(process.env.BENCH_EVENT), context);
const t2 = performance.now();
const ok = response.batchItemFailures ? response.batchItemFailures.length === 0 : response.statusCode === 202;
if (!ok) { console.error(JSON.stringify(response)); process.exit(2); }
// Traced runs linger (after the timing) so the X-Ray SDK's last UDP datagrams leave before the exit.
process.stdout.write(JSON.stringify({ boot: t0, imported: t1, done: t2 }), () =>
  setTimeout(() => process.exit(0), Number(process.env.BENCH_EXIT_DELAY_MS ?? 0)));
`;

const BASELINE_SOURCE = `
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
export async function send() {
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.QUEUE_URL, MessageBody: 'x'.repeat(2048) }));
  return { statusCode: 202 };
}
export const handler = send;
`;

/**
 * The least any verifying front door does on its first request: read the signing secret from Secrets
 * Manager, then send one message. The ingest's floor, against which a miss of the bare-client target is
 * explained.
 */
const FLOOR_SOURCE = `
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
export async function handler() {
  const secrets = new SecretsManagerClient({});
  await secrets.send(new GetSecretValueCommand({ SecretId: process.env.SECRET_ID }));
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.QUEUE_URL, MessageBody: 'x'.repeat(2048) }));
  return { statusCode: 202 };
}
`;

interface ChildTiming {
  readonly boot: number;
  readonly imported: number;
  readonly done: number;
}

/** Runs one fresh process (asynchronously: fauxqs lives in this process and must keep answering). */
async function runChild(
  dir: string,
  bundlePath: string,
  env: Record<string, string>,
  event: unknown,
): Promise<ChildTiming> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', HANDLER_CHILD], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      // What production sets: source-mapped stack traces cost import time, so the proxy pays it too.
      NODE_OPTIONS: HOUSE_NODE_OPTIONS,
      ...env,
      BENCH_BUNDLE: pathToFileURL(bundlePath).href,
      BENCH_EVENT: JSON.stringify(event),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`cold-start child exited with ${code}: ${stderr}`);
  return JSON.parse(stdout) as ChildTiming;
}

/**
 * The processor's first request without DynamoDB Local or a CDP stand-in (this bench runs neither): one
 * record the ingest marked unusable, which the processor refuses before any claim and moves to the DLQ
 * (one SQS SendMessage, like the baseline). Its import is the whole bundle's; the DynamoDB and CDP round
 * trips of a normal event are not in the first-request figure.
 */
function processorColdEvent(dlqArn: string, i: number): unknown {
  const envelope: QueueEnvelope = {
    v: 1,
    sourceId: 'stripe',
    provider: 'stripe',
    dedupeKey: `stripe:evt_cold_p${i}`,
    providerEventId: `evt_cold_p${i}`,
    eventType: 'customer.updated',
    occurredAt: undefined,
    receivedAt: new Date().toISOString(),
    headers: {},
    body: { kind: 'inline', base64: Buffer.from('{}').toString('base64') },
  };
  return {
    Records: [
      {
        messageId: `cold-${i}`,
        receiptHandle: `cold-${i}`,
        body: JSON.stringify(envelope),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()) },
        messageAttributes: {
          failureClass: { stringValue: 'unusable_payload', dataType: 'String' },
          failureMessage: { stringValue: 'bench: no usable event', dataType: 'String' },
        },
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: dlqArn,
        awsRegion: LOCAL_REGION,
      },
    ],
  };
}

async function coldBench(setup: Setup, runs: number): Promise<ColdResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-bench-'));
  try {
    const ingestEntry = { path: join(import.meta.dirname, '..', 'lambdas', 'ingest', 'handler.ts') };
    const processorEntry = { path: join(import.meta.dirname, '..', 'lambdas', 'processor', 'handler.ts') };
    // As the CDK function bundles them, each in its own folder (entry file and chunks): the tracer left out
    // by default, bundled with tracing on. The baseline and floor go through the same options.
    const handlerBundle = await bundleLikeLambda(ingestEntry, join(dir, 'handler'));
    const tracedHandlerBundle = await bundleLikeLambda(ingestEntry, join(dir, 'handler-tracing'), {
      tracing: true,
    });
    const tracedProcessorBundle = await bundleLikeLambda(processorEntry, join(dir, 'processor-tracing'), {
      tracing: true,
    });
    const baselineBundle = await bundleLikeLambda({ source: BASELINE_SOURCE }, join(dir, 'baseline'));
    const floorBundle = await bundleLikeLambda({ source: FLOOR_SOURCE }, join(dir, 'floor'));
    const processorBundle = await bundleLikeLambda(processorEntry, join(dir, 'processor'));
    const processorEnv = {
      ...setup.env,
      // Never reached on the refused record's path; required by the processor's configuration.
      [ENV.stateTable]: 'bench-state',
      [ENV.cdpBaseUrl]: 'http://127.0.0.1:9',
      [ENV.cdpApiKeySecretId]: 'bench-cdp',
    };
    const med = (values: number[]) => median(values) ?? Number.NaN;
    const daemon = createSocket('udp4');
    let segmentsReceived = 0;
    const segmentNames = new Set<string>();
    daemon.on('message', (packet) => {
      segmentsReceived++;
      // A JSON header line, then the segment document.
      const name = (JSON.parse(packet.toString().split('\n')[1] ?? '{}') as { name?: string }).name;
      if (name) segmentNames.add(name);
    });
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    // What Lambda sets for a function with active tracing, on an on-demand cold start of a sampled request.
    const lambdaTracing = (i: number) => ({
      [TRACING_ENV]: 'true',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      LAMBDA_TASK_ROOT: dir,
      _X_AMZN_TRACE_ID: `Root=1-67500000-${i.toString(16).padStart(24, '0')};Parent=53995c3f42cd8ad8;Sampled=1`,
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
      BENCH_EXIT_DELAY_MS: '100',
    });
    const tracedHandlerTimes: ChildTiming[] = [];
    const tracedProcessorTimes: ChildTiming[] = [];
    const handlerTimes: ChildTiming[] = [];
    const baselineTimes: ChildTiming[] = [];
    const processorTimes: ChildTiming[] = [];
    const floorTimes: ChildTiming[] = [];
    for (let i = 0; i < runs; i++) {
      const event = stripeEvent(setup.stripeSecret, `evt_cold_${i}`, 2048);
      handlerTimes.push(await runChild(dir, handlerBundle.entry, setup.env, event));
      baselineTimes.push(
        await runChild(dir, baselineBundle.entry, { ...setup.env, QUEUE_URL: setup.queueUrl }, {}),
      );
      floorTimes.push(
        await runChild(
          dir,
          floorBundle.entry,
          { ...setup.env, QUEUE_URL: setup.queueUrl, SECRET_ID: 'bench-stripe' },
          {},
        ),
      );
      processorTimes.push(
        await runChild(
          dir,
          processorBundle.entry,
          processorEnv,
          processorColdEvent('arn:aws:sqs:us-east-1:000000000000:bench-ingest', i),
        ),
      );
      tracedHandlerTimes.push(
        await runChild(
          dir,
          tracedHandlerBundle.entry,
          { ...setup.env, ...lambdaTracing(i) },
          stripeEvent(setup.stripeSecret, `evt_cold_t${i}`, 2048),
        ),
      );
      tracedProcessorTimes.push(
        await runChild(
          dir,
          tracedProcessorBundle.entry,
          { ...processorEnv, ...lambdaTracing(runs + i) },
          processorColdEvent('arn:aws:sqs:us-east-1:000000000000:bench-ingest', runs + i),
        ),
      );
    }
    // Segments are UDP datagrams sent as subsegments close: give the last ones a moment to arrive.
    await new Promise((resolve) => setTimeout(resolve, 200));
    daemon.close();
    const traced = (times: ChildTiming[], bundle: LambdaBundle): TracedRow => ({
      ms: round(med(times.map((t) => t.done)), 1),
      importMs: round(med(times.map((t) => t.imported - t.boot)), 1),
      firstRequestMs: round(med(times.map((t) => t.done - t.imported)), 1),
      bundleBytes: bundle.startBytes,
      bundleGzipBytes: bundle.startGzipBytes,
      lazyChunkBytes: bundle.lazyBytes,
    });
    const handlerMs = med(handlerTimes.map((t) => t.done));
    const baselineMs = med(baselineTimes.map((t) => t.done));
    return {
      runs,
      handlerMs: round(handlerMs, 1),
      handlerImportMs: round(med(handlerTimes.map((t) => t.imported - t.boot)), 1),
      handlerFirstRequestMs: round(med(handlerTimes.map((t) => t.done - t.imported)), 1),
      baselineMs: round(baselineMs, 1),
      baselineImportMs: round(med(baselineTimes.map((t) => t.imported - t.boot)), 1),
      ratio: round(handlerMs / baselineMs, 2),
      bundleBytes: handlerBundle.startBytes,
      bundleGzipBytes: handlerBundle.startGzipBytes,
      entryFileBytes: handlerBundle.entryBytes,
      lazyChunkBytes: handlerBundle.lazyBytes,
      baselineBundleBytes: baselineBundle.startBytes,
      floorMs: round(med(floorTimes.map((t) => t.done)), 1),
      floorImportMs: round(med(floorTimes.map((t) => t.imported - t.boot)), 1),
      floorBundleBytes: floorBundle.startBytes,
      vsFloor: round(handlerMs / med(floorTimes.map((t) => t.done)), 2),
      nodeOptions: HOUSE_NODE_OPTIONS,
      target: COLD_TARGET_RATIO,
      tracing: {
        ingest: traced(tracedHandlerTimes, tracedHandlerBundle),
        processor: traced(tracedProcessorTimes, tracedProcessorBundle),
        segmentsReceived,
        segmentNames: [...segmentNames].sort(),
      },
      processor: {
        ms: round(med(processorTimes.map((t) => t.done)), 1),
        importMs: round(med(processorTimes.map((t) => t.imported - t.boot)), 1),
        firstRequestMs: round(med(processorTimes.map((t) => t.done - t.imported)), 1),
        ratio: round(med(processorTimes.map((t) => t.done)) / baselineMs, 2),
        bundleBytes: processorBundle.startBytes,
        lazyChunkBytes: processorBundle.lazyBytes,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function toMarkdown(result: IngestBenchResult): string {
  const warm = markdownTable(
    [
      'case',
      'body bytes',
      'events',
      'samples',
      'handler median ms',
      'handler p95 ms',
      'bare send median ms',
      '× baseline',
    ],
    result.warm.map((r) => [
      r.case,
      r.bodyBytes,
      r.events,
      r.samples,
      r.medianMs,
      r.p95Ms,
      r.baselineMedianMs,
      r.vsBaseline,
    ]),
  );
  const c = result.cold;
  const cold = markdownTable(
    [
      'process',
      'median ms to first answer',
      'import ms',
      'first request ms',
      'bytes loaded at import',
      'lazy chunk bytes',
    ],
    [
      [
        'ingest handler bundle',
        c.handlerMs,
        c.handlerImportMs,
        c.handlerFirstRequestMs,
        c.bundleBytes,
        c.lazyChunkBytes,
      ],
      [
        'baseline: @aws-sdk/client-sqs bundle + one SendMessage',
        c.baselineMs,
        c.baselineImportMs,
        null,
        c.baselineBundleBytes,
        null,
      ],
      [
        'floor: Secrets Manager + SQS clients, one GetSecretValue + one SendMessage',
        c.floorMs,
        c.floorImportMs,
        null,
        c.floorBundleBytes,
        null,
      ],
      [
        'processor bundle (first request: one refused record to the DLQ)',
        c.processor.ms,
        c.processor.importMs,
        c.processor.firstRequestMs,
        c.processor.bundleBytes,
        c.processor.lazyChunkBytes,
      ],
    ],
  );
  const verdict = c.ratio <= c.target ? 'met' : 'missed';
  return [
    '# Ingest benchmark',
    '',
    `Generated ${result.generatedAt} on ${result.cpu}, Node ${result.node}, against loopback fauxqs and the Secrets Manager stand-in.`,
    '',
    '## Warm per-request cost (HTTP API events, base64 bodies, secrets cached)',
    '',
    'Baseline, per case and interleaved with it: the same event bytes (base64, as the envelope carries them) sent bare from the same process — one `SendMessage`, or for the batch ten 10-entry `SendMessageBatch` calls in parallel. That is the least any front door spends to queue the same events durably; the handler adds routing, the secret (cached), signature verification, extraction, envelopes and logging.',
    '',
    warm,
    '',
    '## Cold-start proxy (fresh `node` process: import the bundle, serve one request)',
    '',
    `esbuild options of the CDK house function: ESM with code splitting, minified, source maps, target ${result.esbuild.target}, AWS SDK bundled. Every process runs with production's \`NODE_OPTIONS=${c.nodeOptions}\`. Medians of ${c.runs} alternating runs; times are from process start (Node's own boot included).`,
    '',
    cold,
    '',
    `Ingest handler / baseline: **${c.ratio}×** (target ≤ ${c.target}×: **${verdict}**); the floor, which any verifying ingest pays (it must read its signing secret before it may enqueue), is ${round(c.floorMs / c.baselineMs, 2)}× the baseline, and the handler is ${c.vsFloor}× the floor. Processor / baseline: ${c.processor.ratio}×; its first request refuses a record the ingest marked unusable and moves it to the DLQ (one SQS send, as the baseline), since this bench runs no DynamoDB Local or CDP stand-in: its DynamoDB and CDP round trips are not in the figure, its whole import is. Every bundle is a folder (code splitting): the entry file and the chunks it imports are parsed at import (ingest: ${c.bundleBytes} bytes, ${c.bundleGzipBytes} gzipped, of which the entry file ${c.entryFileBytes}; source maps are separate files); the lazy chunks (the S3 client, loaded by the first claim-checked body; the SDK's credential providers that environment credentials never reach) are not, and no request of this run loads them. The handler's first request also reads the signing secret from Secrets Manager and verifies the signature; the baseline does neither.`,
    '',
    'A proxy, not Lambda: no Firecracker VM, no INIT phase accounting, loopback instead of regional endpoints, and this machine’s Node versus the Lambda runtime’s. The ratio to the baseline measured in the same run is the number to watch.',
  ].join('\n');
}

/** X-Ray list prices (us-east-1), USD per million traces. */
export const XRAY_PRICES = { recordedPerMillion: 5, retrievedOrScannedPerMillion: 0.5 } as const;
/** X-Ray's default sampling rule, which Lambda applies: the first request each second, then 5 % of the rest. */
export const XRAY_DEFAULT_SAMPLING = { reservoirPerSecond: 1, fixedRate: 0.05 } as const;
const SECONDS_PER_MONTH = 30 * 86_400;

/** Traces recorded in a month for `requests` spread evenly over it, under the default sampling rule. */
export function sampledTracesPerMonth(requests: number): number {
  const perSecond = requests / SECONDS_PER_MONTH;
  const { reservoirPerSecond: r, fixedRate } = XRAY_DEFAULT_SAMPLING;
  const sampled = perSecond <= r ? perSecond : r + fixedRate * (perSecond - r);
  return Math.round(sampled * SECONDS_PER_MONTH);
}

export interface TracingCostRow {
  readonly webhooksPerMonth: number;
  /** Ingest invocations sampled (one trace each). */
  readonly ingestTraces: number;
  /** Processor invocations sampled, at one invocation per webhook (batches of one: the most traces). */
  readonly processorTraces: number;
  /** Recording both, USD per month (before the free tier of 100,000 traces recorded a month). */
  readonly recordedUsd: number;
}

export function tracingCost(webhooksPerMonth: number): TracingCostRow {
  const ingestTraces = sampledTracesPerMonth(webhooksPerMonth);
  const processorTraces = sampledTracesPerMonth(webhooksPerMonth);
  return {
    webhooksPerMonth,
    ingestTraces,
    processorTraces,
    recordedUsd: round(((ingestTraces + processorTraces) / 1e6) * XRAY_PRICES.recordedPerMillion, 2),
  };
}

function tracingMarkdown(result: IngestBenchResult, cost: readonly TracingCostRow[]): string {
  const c = result.cold;
  const t = c.tracing;
  const pct = (on: number, off: number) => `${on >= off ? '+' : ''}${round(((on - off) / off) * 100, 0)} %`;
  const rows = markdownTable(
    [
      'bundle',
      'median ms to first answer',
      'import ms',
      'first request ms',
      'bytes loaded at import',
      'gzipped',
    ],
    [
      [
        'ingest, tracing off (default)',
        c.handlerMs,
        c.handlerImportMs,
        c.handlerFirstRequestMs,
        c.bundleBytes,
        c.bundleGzipBytes,
      ],
      [
        'ingest, tracing on',
        t.ingest.ms,
        t.ingest.importMs,
        t.ingest.firstRequestMs,
        t.ingest.bundleBytes,
        t.ingest.bundleGzipBytes,
      ],
      [
        'processor, tracing off (default)',
        c.processor.ms,
        c.processor.importMs,
        c.processor.firstRequestMs,
        c.processor.bundleBytes,
        null,
      ],
      [
        'processor, tracing on',
        t.processor.ms,
        t.processor.importMs,
        t.processor.firstRequestMs,
        t.processor.bundleBytes,
        t.processor.bundleGzipBytes,
      ],
    ],
  );
  const costTable = markdownTable(
    ['webhooks / month (even)', 'ingest traces', 'processor traces (≤)', 'recorded, USD / month (≤)'],
    cost.map((r) => [
      r.webhooksPerMonth.toLocaleString('en-US'),
      r.ingestTraces.toLocaleString('en-US'),
      r.processorTraces.toLocaleString('en-US'),
      r.recordedUsd,
    ]),
  );
  return [
    '# Tracing benchmark (opt-in X-Ray)',
    '',
    `Generated ${result.generatedAt} on ${result.cpu}, Node ${result.node}, by \`npx tsx bench/ingest.ts\` (the cold-start proxy of [ingest.md](ingest.md), same run, interleaved).`,
    '',
    '## Cold-start proxy, tracing off and on',
    '',
    `Fresh \`node\` process: import the bundle, serve one request (the ingest: a 2 KB Stripe delivery; the processor: one refused record to the DLQ). Tracing on: the bundle includes Powertools Tracer and the X-Ray SDK, and the process runs with what Lambda sets for active tracing on a sampled on-demand cold start (\`AWS_EXECUTION_ENV\`, \`_X_AMZN_TRACE_ID\` with \`Sampled=1\`, an X-Ray daemon address: a UDP socket of the bench, which received ${t.segmentsReceived} segment documents: ${t.segmentNames.map((n) => `\`${n}\``).join(', ')}). Medians of ${c.runs} runs, \`NODE_OPTIONS=${c.nodeOptions}\`.`,
    '',
    rows,
    '',
    `Ingest: ${pct(t.ingest.ms, c.handlerMs)} to the first answer with tracing on (import ${pct(t.ingest.importMs, c.handlerImportMs)}, first request ${pct(t.ingest.firstRequestMs, c.handlerFirstRequestMs)}), bundle ${pct(t.ingest.bundleBytes, c.bundleBytes)}. Processor: ${pct(t.processor.ms, c.processor.ms)}. With tracing off the tracer is not in the bundle at all (\`externalModules\`), so the default cold start pays nothing for the option. In the tracing-on rows the tracer's code is a chunk of the bundle that the handler loads with a dynamic \`import()\` on the first request (${t.ingest.lazyChunkBytes} bytes of lazy chunks in the ingest's folder, tracer included), where the X-Ray SDK also patches the clients and sends the first segments. On Lambda, active tracing also has the runtime send the function's own segments; not measured here.`,
    '',
    '## X-Ray cost',
    '',
    `Prices: $${XRAY_PRICES.recordedPerMillion.toFixed(2)} per million traces recorded, $${XRAY_PRICES.retrievedOrScannedPerMillion.toFixed(2)} per million traces retrieved or scanned (first 100,000 recorded and 1,000,000 retrieved or scanned a month free). Lambda samples with X-Ray's default rule: the first request each second, then ${XRAY_DEFAULT_SAMPLING.fixedRate * 100} % of the rest, per function. Each ingest request is a trace; each processor invocation is its own trace, linked to the ingest traces of its messages; at most one per webhook (batches of one), fewer when batches fill. Traffic spread evenly over a 30-day month:`,
    '',
    costTable,
    '',
    'Bursty traffic records fewer traces than even traffic of the same volume (the reservoir is per second). Retrieval costs depend on how often traces are viewed or queried. The cold-start figures come from a shared 2-core machine under load: the ratios measured in the same run are the numbers to read, not the milliseconds.',
  ].join('\n');
}

/** Runs the ingest benchmark, prints its tables and writes bench/results/ingest.{json,md} and tracing.{json,md}. */
export async function runIngestBench(
  options: { warmRounds?: number; coldRuns?: number } = {},
): Promise<IngestBenchResult> {
  const warmRounds = options.warmRounds ?? argValue('--warm-rounds', 150);
  const coldRuns = options.coldRuns ?? argValue('--cold-runs', 9);
  // The set-up points the SDK at its own emulators; other benches in the same process must not inherit that.
  const savedEnv = { ...process.env };
  const setup = await setUp();
  try {
    const warm = await warmBench(setup, warmRounds);
    const cold = await coldBench(setup, coldRuns);
    const result: IngestBenchResult = {
      generatedAt: new Date().toISOString(),
      node: process.versions.node,
      cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`,
      esbuild: { target: HOUSE_ESBUILD_TARGET, format: 'esm', minify: true, sourcemap: true },
      warm,
      cold,
    };
    console.log(
      consoleTable(
        ['case', 'body bytes', 'events', 'median ms', 'p95 ms', 'bare send ms', '× baseline'],
        warm.map((r) => [
          r.case,
          r.bodyBytes,
          r.events,
          r.medianMs,
          r.p95Ms,
          r.baselineMedianMs,
          r.vsBaseline,
        ]),
      ),
    );
    console.log(
      `\ncold start proxy (NODE_OPTIONS=${cold.nodeOptions}): handler ${cold.handlerMs} ms (import ${cold.handlerImportMs} ms) vs baseline ${cold.baselineMs} ms → ${cold.ratio}× (target ≤ ${cold.target}×); floor (secret + send) ${cold.floorMs} ms, handler/floor ${cold.vsFloor}×; bundle ${cold.bundleBytes} bytes loaded at import (${cold.bundleGzipBytes} gzipped; entry file ${cold.entryFileBytes}, lazy chunks ${cold.lazyChunkBytes}); processor ${cold.processor.ms} ms (import ${cold.processor.importMs} ms) → ${cold.processor.ratio}×, ${cold.processor.bundleBytes} bytes loaded at import (lazy chunks ${cold.processor.lazyChunkBytes})`,
    );
    const paths = writeResults('ingest', result, toMarkdown(result));
    console.log(`\nwrote ${paths.json} and ${paths.md}`);
    const cost = [1e6, 1e7, 1e8].map(tracingCost);
    const t = cold.tracing;
    console.log(
      `tracing on: ingest ${t.ingest.ms} ms (off ${cold.handlerMs} ms), processor ${t.processor.ms} ms (off ${cold.processor.ms} ms); bundles ${t.ingest.bundleBytes} / ${t.processor.bundleBytes} bytes; ${t.segmentsReceived} segments received (${t.segmentNames.join(', ')})`,
    );
    const tracingPaths = writeResults(
      'tracing',
      {
        generatedAt: result.generatedAt,
        node: result.node,
        cpu: result.cpu,
        runs: cold.runs,
        off: {
          ingest: {
            ms: cold.handlerMs,
            importMs: cold.handlerImportMs,
            firstRequestMs: cold.handlerFirstRequestMs,
            bundleBytes: cold.bundleBytes,
          },
          processor: {
            ms: cold.processor.ms,
            importMs: cold.processor.importMs,
            firstRequestMs: cold.processor.firstRequestMs,
            bundleBytes: cold.processor.bundleBytes,
          },
        },
        on: t,
        prices: XRAY_PRICES,
        sampling: XRAY_DEFAULT_SAMPLING,
        cost,
      },
      tracingMarkdown(result, cost),
    );
    console.log(`wrote ${tracingPaths.json} and ${tracingPaths.md}`);
    return result;
  } finally {
    await setup.stop();
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runIngestBench();
}
