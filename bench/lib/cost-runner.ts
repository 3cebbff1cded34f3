/**
 * The cost model behind `npm run bench` / `tsx bench/cost.ts`: send webhooks through local mode with
 * counting proxies in front of the emulators, so the AWS calls the REAL handlers make (and the event source
 * mapping's receives and deletes) are measured per webhook; time the handlers; price it all at list prices.
 */
import { copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqsClient } from '../../lambdas/shared/aws-clients';
import { pipelineConfig } from '../../lib/pipeline-config';
import { type Emulators, startEmulators } from '../../local/emulators';
import { readLocalSecrets, SECRETS_EXAMPLE_PATH } from '../../local/local-secrets';
import { startLocalPipeline } from '../../local/pipeline';
import { postDelivery } from '../../local/send-webhooks';
import { startCountingProxy } from './counting-proxy';
import { createDeliveryFactory } from './deliveries';
import { type MonitoringMonthlyCost, monitoringMonthlyCost } from './monitoring-cost';
import { createRng } from './prng';
import { pool, queueTotal, waitUntilStable } from './queues';
import { median, round } from './stats';

/**
 * us-east-1 list prices (USD) as published on aws.amazon.com/pricing, noted 2025-11 (first pricing tier,
 * no free tier). Re-check them before relying on the totals.
 */
export const PRICES = {
  noted: '2025-11, us-east-1, first tier, free tier ignored',
  httpApiPerMillion: 1.0,
  restApiPerMillion: 3.5,
  wafPerMillionRequests: 0.6,
  wafWebAclPerMonth: 5.0,
  wafRulePerMonth: 1.0,
  lambdaPerMillionRequests: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  sqsPerMillionRequests: 0.4,
  dynamoPerMillionWriteUnits: 0.625,
  dynamoPerMillionReadUnits: 0.125,
  s3PutPer1000: 0.005,
  s3GetPer1000: 0.0004,
  secretsManagerPer10000Calls: 0.05,
  secretsManagerPerSecretMonth: 0.4,
  cloudWatchLogsPerGb: 0.5,
} as const;

export interface CostOptions {
  /** Webhooks to send. @default 1000 */
  readonly count?: number;
  /** @default 1 */
  readonly seed?: number;
  /** @default 8 */
  readonly concurrency?: number;
  readonly log?: (line: string) => void;
}

export interface CostReport {
  readonly webhooks: number;
  readonly events: number;
  readonly callsPerWebhook: Record<string, number>;
  readonly calls: Record<string, number>;
  readonly handler: {
    readonly ingestMedianMs: number;
    readonly processorBatchMedianMs: number;
    readonly recordsPerBatch: number;
    readonly processorMsPerEvent: number;
  };
  readonly assumptions: Record<string, string | number>;
  readonly perMillionWebhooks: {
    readonly httpApi: Record<string, number>;
    readonly restApiWithWaf: Record<string, number>;
    /** `frontDoor: 'function-url'`: no per-request front-door charge. */
    readonly functionUrl: Record<string, number>;
  };
  readonly monthlyFixed: Record<string, number>;
  /** Custom metrics, alarms and dashboard per month for {@link MONITORED_SOURCES} sources. */
  readonly monitoring: MonitoringMonthlyCost;
  readonly capacity: readonly { readonly hop: string; readonly limit: string; readonly raiseWith: string }[];
}

/** Durations assumed on AWS (network round trips to SQS/DynamoDB/CDP are longer than on loopback). */
const AWS_DURATION_MS = { ingest: 40, processorPerEvent: 120 };
const MEMORY_GB = 0.5;
const LOG_BYTES_PER_WEBHOOK = 1500;
/** Sources the monthly monitoring cost is stated for (each with a NoWebhooks alarm). */
export const MONITORED_SOURCES = 5;

export async function runCostModel(options: CostOptions = {}): Promise<CostReport> {
  const count = options.count ?? 1000;
  const log = options.log ?? (() => {});
  const emulators = await startEmulators();
  const sqsProxy = await startCountingProxy(emulators.fauxqsEndpoint);
  const dynamoProxy = await startCountingProxy(emulators.dynamodbEndpoint);
  const proxied: Emulators = {
    fauxqsEndpoint: sqsProxy.url,
    dynamodbEndpoint: dynamoProxy.url,
    secretsManagerEndpoint: emulators.secretsManagerEndpoint,
    stop: async () => {},
  };
  const secretsPath = join(tmpdir(), `cost-secrets-${process.pid}-${Date.now()}.json`);
  copyFileSync(SECRETS_EXAMPLE_PATH, secretsPath);
  const ingestMs: number[] = [];
  const batchMs: number[] = [];
  const batchSizes: number[] = [];
  const pipeline = await startLocalPipeline({
    port: 0,
    cdpPort: 0,
    secretsPath,
    emulators: proxied,
    quiet: true,
    log: () => {},
    pollWaitSeconds: 20,
    wrapHandlers: ({ ingest, processor }) => ({
      ingest: async (event, context) => {
        const t0 = performance.now();
        try {
          return await ingest(event, context);
        } finally {
          ingestMs.push(performance.now() - t0);
        }
      },
      processor: async (event, context) => {
        const t0 = performance.now();
        try {
          return await processor(event, context);
        } finally {
          batchMs.push(performance.now() - t0);
          batchSizes.push(event.Records.length);
        }
      },
    }),
  });
  // The harness only polls GetQueueAttributes, which the pipeline never calls: it is left out of the counts.
  const direct = createSqsClient();
  try {
    const file = readLocalSecrets(secretsPath);
    const factory = createDeliveryFactory({
      baseUrl: pipeline.url,
      sources: pipelineConfig.sources,
      secrets: file,
      rng: createRng(options.seed ?? 1),
    });
    const deliveries = Array.from({ length: count }, () => factory.fresh());
    const events = deliveries.reduce((n, d) => n + d.events.length, 0);
    sqsProxy.reset();
    dynamoProxy.reset();
    let sent = 0;
    await pool(deliveries, options.concurrency ?? 8, async (d) => {
      const response = await postDelivery(d);
      if (response.status !== 202) throw new Error(`Ingest answered ${response.status}: ${response.body}`);
      sent += 1;
      if (sent % 250 === 0) log(`  sent ${sent}/${count}`);
    });
    await waitUntilStable(async () => (await queueTotal(direct, pipeline.resources.queueUrl)) === 0, {
      timeoutMs: 300_000,
      stableMs: 2000,
    });
    await pipeline.poller.stop(5000);
    const calls = { ...sqsProxy.counts(), ...dynamoProxy.counts() };
    delete calls['SQS.GetQueueAttributes'];
    const per = (op: string) => (calls[op] ?? 0) / count;
    const callsPerWebhook = Object.fromEntries(
      Object.keys(calls)
        .sort()
        .map((op) => [op, round(per(op), 3)]),
    );

    const ingestMedian = median(ingestMs) ?? 0;
    const batchMedian = median(batchMs) ?? 0;
    const recordsPerBatch = batchSizes.reduce((a, b) => a + b, 0) / Math.max(1, batchSizes.length);
    const msPerEvent = batchMedian / Math.max(1, recordsPerBatch);
    // Loopback durations on a shared laptop say little about Lambda: the bill uses the modelled AWS durations,
    // and the measured ones are priced too, as an upper bound.
    const ingestBilledMs = AWS_DURATION_MS.ingest;
    const processorBilledMsPerWebhook = AWS_DURATION_MS.processorPerEvent * (events / count);
    const processorInvocationsPerWebhook = batchSizes.length / Math.max(1, count);
    const lambdaCost = (ingestMsPerWebhook: number, processorMsPerWebhook: number) =>
      (1 + processorInvocationsPerWebhook) * PRICES.lambdaPerMillionRequests +
      ((ingestMsPerWebhook + processorMsPerWebhook) / 1000) *
        MEMORY_GB *
        PRICES.lambdaArmPerGbSecond *
        1_000_000;
    const sqsRequests = [
      'SQS.SendMessageBatch',
      'SQS.SendMessage',
      'SQS.ReceiveMessage',
      'SQS.DeleteMessageBatch',
      'SQS.DeleteMessage',
      'SQS.ChangeMessageVisibility',
      'SQS.ChangeMessageVisibilityBatch',
    ].reduce((n, op) => n + per(op), 0);
    const dynamoWrites = ['DynamoDB.PutItem', 'DynamoDB.UpdateItem', 'DynamoDB.DeleteItem'].reduce(
      (n, op) => n + per(op),
      0,
    );
    const dynamoReads = ['DynamoDB.GetItem', 'DynamoDB.Query'].reduce((n, op) => n + per(op), 0);
    const million = 1_000_000;
    const lambda = lambdaCost(ingestBilledMs, processorBilledMsPerWebhook);
    const lambdaMeasured = lambdaCost(ingestMedian, msPerEvent * (events / count));
    const common = {
      lambda: round(lambda),
      sqs: round(sqsRequests * PRICES.sqsPerMillionRequests),
      dynamodb: round(
        dynamoWrites * PRICES.dynamoPerMillionWriteUnits + dynamoReads * PRICES.dynamoPerMillionReadUnits,
      ),
      s3: round(per('S3.PUT') * 1000 * PRICES.s3PutPer1000 + per('S3.GET') * 1000 * PRICES.s3GetPer1000),
      cloudWatchLogs: round(((LOG_BYTES_PER_WEBHOOK * million) / 1024 ** 3) * PRICES.cloudWatchLogsPerGb),
    };
    const sum = (o: Record<string, number>) => round(Object.values(o).reduce((a, b) => a + b, 0));
    const httpApi = { apiGateway: PRICES.httpApiPerMillion, ...common };
    const functionUrl = { apiGateway: 0, ...common };
    const rest = { apiGateway: PRICES.restApiPerMillion, waf: PRICES.wafPerMillionRequests, ...common };

    return {
      webhooks: count,
      events,
      calls,
      callsPerWebhook,
      handler: {
        ingestMedianMs: round(ingestMedian, 1),
        processorBatchMedianMs: round(batchMedian, 1),
        recordsPerBatch: round(recordsPerBatch, 2),
        processorMsPerEvent: round(msPerEvent, 1),
      },
      assumptions: {
        prices: PRICES.noted,
        memory: `${MEMORY_GB * 1024} MB arm64 for both functions (lib/resource-definitions.ts)`,
        ingestBilledMs: `${ingestBilledMs} ms per webhook (verify + one SendMessageBatch round trip on AWS)`,
        processorBilledMsPerEvent: `${AWS_DURATION_MS.processorPerEvent} ms per event (4–5 DynamoDB writes + one CDP call at ~50 ms)`,
        lambdaAtMeasuredDurations: `$${round(lambdaMeasured)} per million webhooks with this run's local medians instead (ingest ${round(ingestMedian, 1)} ms, processor ${round(msPerEvent, 1)} ms per event)`,
        eventsPerWebhook: round(events / count, 3),
        dynamoUnits: 'each write 1 WRU (items < 1 KB), each consistent read 1 RRU (< 4 KB)',
        sqsRequests:
          'each call one request (messages < 64 KB); idle event source mapping polling is not included (a few hundred thousand long polls a month, ~$0.10–0.30)',
        secretsManager:
          'GetSecretValue cached 5 min per container and secret: a fixed ~$0.05 per 10,000 cold fetches, not per webhook',
        logs: `${LOG_BYTES_PER_WEBHOOK} bytes of logs per webhook (INFO level)`,
        s3: 'claim check only for bodies above 256 KB (none in this run)',
        wafRules: 'rate-based rule + optional IP allowlist (2 rules)',
      },
      perMillionWebhooks: {
        httpApi: { ...httpApi, total: sum(httpApi) },
        restApiWithWaf: { ...rest, total: sum(rest) },
        functionUrl: { ...functionUrl, total: sum(functionUrl) },
      },
      monthlyFixed: {
        secretsPerSource: PRICES.secretsManagerPerSecretMonth,
        wafWebAclWithTwoRules: PRICES.wafWebAclPerMonth + 2 * PRICES.wafRulePerMonth,
      },
      monitoring: monitoringMonthlyCost(MONITORED_SOURCES),
      capacity: [
        {
          hop: 'API Gateway (webhook route)',
          limit: 'stage throttle 100 req/s, burst 200 (config default); account 10,000 req/s',
          raiseWith:
            'throttling.rateLimit / burstLimit in lib/pipeline-config.ts; account quota via Service Quotas',
        },
        {
          hop: 'AWS WAF (REST option)',
          limit: '10,000 requests per IP per 5 minutes',
          raiseWith: 'waf.rateLimitPer5Minutes',
        },
        {
          hop: 'Ingest Lambda',
          limit:
            'account concurrency 1,000 (shared); ~' +
            round(1000 / Math.max(0.001, ingestBilledMs / 1000)) +
            ' req/s at the billed duration',
          raiseWith: 'Lambda concurrency quota',
        },
        {
          hop: 'SQS standard queue',
          limit: 'practically unlimited; 10 messages / 256 KB per SendMessageBatch',
          raiseWith: '–',
        },
        {
          hop: 'Processor (event source mapping)',
          limit: `maxConcurrency 5 invocations, records of a batch in parallel: ~${round((5 * 10 * 1000) / (AWS_DURATION_MS.processorPerEvent * 2))} events/s if a batch of 10 takes twice one event's time`,
          raiseWith: 'queue.maxConcurrency (2–1000) and queue.batchSize',
        },
        {
          hop: 'DynamoDB on-demand',
          limit: '40,000 WRU/s per table by default; 1,000 WRU/s per item key (keys are per event)',
          raiseWith: 'table quota via Service Quotas',
        },
        {
          hop: 'CDP records API',
          limit: "the vendor's rate limit (429s are retried with Retry-After)",
          raiseWith: 'lower queue.maxConcurrency to stay under it',
        },
        {
          hop: 'Secrets Manager',
          limit: '10,000 GetSecretValue/s; cached 5 min per container',
          raiseWith: '–',
        },
      ],
    };
  } finally {
    await pipeline.stop();
    await sqsProxy.stop();
    await dynamoProxy.stop();
    await emulators.stop();
    rmSync(secretsPath, { force: true });
  }
}
