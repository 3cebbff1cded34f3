/**
 * The cost model behind `npm run bench` / `tsx bench/cost.ts`: send webhooks through local mode with
 * counting proxies in front of the emulators, so the AWS calls the REAL handlers make (and the event source
 * mapping's receives and deletes) are measured per webhook; time the handlers; price it all at list prices.
 */
import { copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../lambdas/shared/aws-clients';
import { pipelineConfig } from '../../lib/pipeline-config';
import { INGEST_MEMORY_MB, PROCESSOR_MEMORY_MB } from '../../lib/resource-definitions';
import { type Emulators, startEmulators } from '../../local/emulators';
import { readLocalSecrets, SECRETS_EXAMPLE_PATH } from '../../local/local-secrets';
import { startLocalPipeline } from '../../local/pipeline';
import { postDelivery } from '../../local/send-webhooks';
import { createLambdaContext, type SqsBatchHandler, toSqsRecord } from '../../local/sqs-poller';
import { startCountingProxy } from './counting-proxy';
import { createDeliveryFactory } from './deliveries';
import {
  AWS_ROUND_TRIP_MS,
  billedMs,
  captureFunctionLogs,
  type FunctionLogTotals,
  LOG_EVENT_OVERHEAD_BYTES,
  MEMORY_SIZES_MB,
  PLATFORM_LINES_BYTES_PER_INVOCATION,
  withCpu,
} from './lambda-model';
import { type MonitoringMonthlyCost, monitoringMonthlyCost } from './monitoring-cost';
import { createRng } from './prng';
import { pool, queueTotal, waitUntilStable } from './queues';
import { median, percentile, round } from './stats';

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

export interface MemoryRow {
  readonly memoryMb: number;
  readonly ingestBilledMs: number;
  readonly ingestBilledMsP95: number;
  /** Ingest duration + request charge, USD per million webhooks. */
  readonly ingestUsd: number;
  /** Billed ms per event when each invocation holds one record (a trickle: below ~1 event/s). */
  readonly processorBilledMsPerEvent: number;
  /** Processor duration + request charge, USD per million webhooks, one record per invocation. */
  readonly processorUsdOneRecord: number;
  /** Billed ms per event in batches as full as the run's ({@link CostReport.compute} `batchRecords`). */
  readonly processorBilledMsPerEventBatched: number;
  /** Processor duration + request charge, USD per million webhooks, in batches as full as the run's. */
  readonly processorUsd: number;
  /** A full batch: its records' CPU in series (one thread), their waits overlapping. */
  readonly processorEventsPerSecondPerUnit: number;
}

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
  /** DynamoDB capacity units per webhook as DynamoDB Local charged them (by item size). */
  readonly dynamoUnitsPerWebhook: {
    readonly write: number;
    readonly writeCalls: number;
    readonly read: number;
  };
  readonly calls: Record<string, number>;
  readonly handler: {
    readonly ingestMedianMs: number;
    readonly processorBatchMedianMs: number;
    readonly recordsPerBatch: number;
    readonly processorMsPerEvent: number;
  };
  /** Bytes the handlers wrote (Powertools log lines and EMF lines), measured in the run. */
  readonly logs: {
    readonly ingest: FunctionLogTotals;
    readonly processor: FunctionLogTotals;
    readonly bytesPerWebhook: number;
    readonly linesPerWebhook: number;
    /** The totals above are over this many webhooks (ingest) and events (processor). */
    readonly probeWebhooks: number;
    readonly probeEvents: number;
    /** Bytes per webhook CloudWatch Logs bills: messages + per-event overhead. */
    readonly billedBytesPerWebhook: number;
    /** What Lambda's START/END/REPORT lines would add per webhook with the system log level at INFO. */
    readonly platformBytesPerWebhookAtInfo: number;
    readonly samples: Record<string, string>;
  };
  /** CPU per invocation, measured one invocation at a time after the main run. */
  readonly compute: {
    readonly ingestCpuMsMean: number;
    readonly ingestCpuMsP95: number;
    readonly processorCpuMsPerEventMean: number;
    readonly probeWebhooks: number;
    readonly probeBatches: number;
    readonly dynamoCallsPerEvent: number;
    readonly cdpCallsPerEvent: number;
    /** Records per processor invocation the totals assume: the main run's average, rounded (at most 10). */
    readonly batchRecords: number;
    /** Modelled billed ms, Lambda USD per million webhooks and processor events/s per unit of concurrency, by memory size. */
    readonly byMemory: readonly MemoryRow[];
    readonly ingestMemoryMb: number;
    readonly processorMemoryMb: number;
  };
  readonly assumptions: Record<string, string | number>;
  readonly perMillionWebhooks: {
    readonly httpApi: Record<string, number>;
    readonly restApiWithWaf: Record<string, number>;
    /** `frontDoor: 'function-url'`: no per-request front-door charge. */
    readonly functionUrl: Record<string, number>;
  };
  /**
   * What each total would be with no Lambda duration and no logs at all: the front door, SQS, DynamoDB, S3
   * and Lambda's request charges, as measured. No tuning of compute or logging goes below it.
   */
  readonly floorBeforeComputeAndLogs: Record<'httpApi' | 'restApiWithWaf' | 'functionUrl', number>;
  readonly monthlyFixed: Record<string, number>;
  /** Custom metrics, alarms and dashboard per month for {@link MONITORED_SOURCES} sources. */
  readonly monitoring: MonitoringMonthlyCost;
  readonly capacity: readonly { readonly hop: string; readonly limit: string; readonly raiseWith: string }[];
}

/** Webhooks (at most) sent one at a time after the main run to measure CPU per invocation. */
const CPU_PROBE_WEBHOOKS = 200;
/** Sources the monthly monitoring cost is stated for (each with a NoWebhooks alarm). */
export const MONITORED_SOURCES = 5;

export async function runCostModel(options: CostOptions = {}): Promise<CostReport> {
  const count = options.count ?? 1000;
  const log = options.log ?? (() => {});
  const emulators = await startEmulators();
  const sqsProxy = await startCountingProxy(emulators.fauxqsEndpoint);
  const dynamoProxy = await startCountingProxy(emulators.dynamodbEndpoint, { measureDynamoCapacity: true });
  const proxied: Emulators = {
    fauxqsEndpoint: sqsProxy.url,
    dynamodbEndpoint: dynamoProxy.url,
    secretsManagerEndpoint: emulators.secretsManagerEndpoint,
    stop: async () => {},
  };
  const secretsPath = join(tmpdir(), `cost-secrets-${process.pid}-${Date.now()}.json`);
  copyFileSync(SECRETS_EXAMPLE_PATH, secretsPath);
  // The handlers log as in production (INFO, metrics on, no dev pretty-printing); their lines are counted.
  delete process.env.POWERTOOLS_DEV;
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const logCapture = captureFunctionLogs();
  let probing = false;
  let probeRecords = 0;
  const ingestCpu: number[] = [];
  const batchCpu: number[] = [];
  const ingestMs: number[] = [];
  let wrappedProcessor: SqsBatchHandler | undefined;
  const batchMs: number[] = [];
  const batchSizes: number[] = [];
  const measureProcessor =
    (processor: SqsBatchHandler): SqsBatchHandler =>
    async (event, context) => {
      const t0 = performance.now();
      try {
        if (!probing) return await processor(event, context);
        return await withCpu(
          () => processor(event, context),
          (ms) => {
            batchCpu.push(ms);
            probeRecords += event.Records.length;
          },
        );
      } finally {
        if (!probing) {
          batchMs.push(performance.now() - t0);
          batchSizes.push(event.Records.length);
        }
      }
    };
  const pipeline = await startLocalPipeline({
    port: 0,
    cdpPort: 0,
    secretsPath,
    emulators: proxied,
    quiet: true,
    log: () => {},
    pollWaitSeconds: 20,
    wrapHandlers: ({ ingest, processor }) => {
      wrappedProcessor = measureProcessor(processor);
      return {
        ingest: async (event, context) => {
          const t0 = performance.now();
          try {
            if (!probing) return await ingest(event, context);
            return await withCpu(
              () => ingest(event, context),
              (ms) => ingestCpu.push(ms),
            );
          } finally {
            if (!probing) ingestMs.push(performance.now() - t0);
          }
        },
        processor: wrappedProcessor,
      };
    },
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
    const capacity = dynamoProxy.capacityUnits();
    const cdpCalls = pipeline.cdp.requests.length;

    // Probe: one invocation at a time, as a Lambda container runs them, so the process's CPU time around a
    // handler is that handler's (plus the in-process emulator and proxy serving its calls: an upper bound)
    // and each invocation's log and EMF lines are its own (concurrent invocations in one process would
    // share the module's Metrics buffer). The processor gets batches of the main run's average size.
    const probeBatchSize = Math.min(
      10,
      Math.max(1, Math.round(batchSizes.reduce((a, b) => a + b, 0) / Math.max(1, batchSizes.length))),
    );
    probing = true;
    logCapture.reset();
    const probeCount = Math.min(CPU_PROBE_WEBHOOKS, count);
    for (let i = 0; i < probeCount; i++) {
      const response = await postDelivery(factory.fresh());
      if (response.status !== 202) throw new Error(`Ingest answered ${response.status}: ${response.body}`);
    }
    const processorHandler = wrappedProcessor;
    if (!processorHandler) throw new Error('The pipeline did not load the processor handler');
    for (let empty = 0; empty < 2; ) {
      const got = await direct.send(
        new ReceiveMessageCommand({
          QueueUrl: pipeline.resources.queueUrl,
          MaxNumberOfMessages: probeBatchSize,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const messages = got.Messages ?? [];
      if (messages.length === 0) {
        empty += 1;
        continue;
      }
      empty = 0;
      const records = messages.map((m) => toSqsRecord(m, pipeline.resources.queueArn, 'us-east-1'));
      await processorHandler(
        { Records: records },
        createLambdaContext(
          'processor',
          'us-east-1',
          pipeline.definitions.processorFunction.timeoutSeconds * 1000,
        ),
      );
      await direct.send(
        new DeleteMessageBatchCommand({
          QueueUrl: pipeline.resources.queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
        }),
      );
    }
    probing = false;
    logCapture.stop();
    const logTotals = logCapture.totals();
    const logSamples = logCapture.samples();
    const probeEvents = probeRecords;
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
    const processorInvocationsPerWebhook = batchSizes.length / Math.max(1, count);
    const eventsPerWebhook = events / count;
    // Lambda bills wall time: the handlers' measured CPU (stretched below one vCPU) plus the network waits
    // on AWS (AWS_ROUND_TRIP_MS). The processor runs a batch's records in parallel (Powertools
    // BatchProcessor): their CPU adds up on the one thread, their waits overlap, so an invocation of b
    // records bills about b × CPU + one record's waits (an upper bound: the waits are counted in full). The
    // totals use batches as full as this run's; one record per invocation (a trickle) is reported beside.
    const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const ingestCpuMean = mean(ingestCpu);
    const ingestCpuP95 = percentile(ingestCpu, 95) ?? 0;
    const cpuPerEvent = batchCpu.reduce((a, b) => a + b, 0) / Math.max(1, probeRecords);
    const dynamoCallsPerEvent =
      Object.entries(calls)
        .filter(([op]) => op.startsWith('DynamoDB.'))
        .reduce((n, [, c]) => n + c, 0) / Math.max(1, events);
    const cdpCallsPerEvent = cdpCalls / Math.max(1, events);
    const ingestWaitMs = AWS_ROUND_TRIP_MS.sqsSend * (per('SQS.SendMessageBatch') + per('SQS.SendMessage'));
    const processorWaitMsPerEvent =
      dynamoCallsPerEvent * AWS_ROUND_TRIP_MS.dynamoWrite + cdpCallsPerEvent * AWS_ROUND_TRIP_MS.cdpCall;
    const gbSecondUsd = (ms: number, memoryMb: number) =>
      (ms / 1000) * (memoryMb / 1024) * PRICES.lambdaArmPerGbSecond * 1_000_000;
    const ingestUsdAt = (memoryMb: number, ms: number) =>
      PRICES.lambdaPerMillionRequests + gbSecondUsd(ms, memoryMb);
    const processorUsdAt = (memoryMb: number, msPerWebhook: number, invocationsPerWebhook: number) =>
      invocationsPerWebhook * PRICES.lambdaPerMillionRequests + gbSecondUsd(msPerWebhook, memoryMb);
    const fullBatch = 10;
    const byMemory: MemoryRow[] = MEMORY_SIZES_MB.map((memoryMb) => {
      const ingestBilled = billedMs(ingestCpuMean, ingestWaitMs, memoryMb);
      const processorBilled = billedMs(cpuPerEvent, processorWaitMsPerEvent, memoryMb);
      const batchedPerEvent =
        billedMs(cpuPerEvent * probeBatchSize, processorWaitMsPerEvent, memoryMb) / probeBatchSize;
      const batchMs = billedMs(cpuPerEvent * fullBatch, processorWaitMsPerEvent, memoryMb);
      return {
        memoryMb,
        ingestBilledMs: round(ingestBilled, 1),
        ingestBilledMsP95: round(billedMs(ingestCpuP95, ingestWaitMs, memoryMb), 1),
        ingestUsd: round(ingestUsdAt(memoryMb, ingestBilled), 3),
        processorBilledMsPerEvent: round(processorBilled, 1),
        processorUsdOneRecord: round(
          processorUsdAt(memoryMb, processorBilled * eventsPerWebhook, eventsPerWebhook),
          3,
        ),
        processorBilledMsPerEventBatched: round(batchedPerEvent, 1),
        processorUsd: round(
          processorUsdAt(memoryMb, batchedPerEvent * eventsPerWebhook, eventsPerWebhook / probeBatchSize),
          3,
        ),
        processorEventsPerSecondPerUnit: round((fullBatch * 1000) / batchMs, 1),
      };
    });
    const at = (memoryMb: number) => {
      const row = byMemory.find((m) => m.memoryMb === memoryMb);
      if (!row) throw new Error(`${memoryMb} MB is not one of the modelled memory sizes`);
      return row;
    };
    const ingestRow = at(INGEST_MEMORY_MB);
    const processorRow = at(PROCESSOR_MEMORY_MB);
    const ingestBilledMs = ingestRow.ingestBilledMs;
    const lambdaMeasured =
      ingestUsdAt(INGEST_MEMORY_MB, ingestMedian) +
      processorUsdAt(PROCESSOR_MEMORY_MB, msPerEvent * eventsPerWebhook, processorInvocationsPerWebhook);
    // Per webhook: the ingest's lines per probe webhook, the processor's per probe event × events per webhook.
    const ingestShare = 1 / Math.max(1, probeCount);
    const processorShare = eventsPerWebhook / Math.max(1, probeEvents);
    const logLinesPerWebhook =
      (logTotals.ingest.logLines + logTotals.ingest.emfLines) * ingestShare +
      (logTotals.processor.logLines + logTotals.processor.emfLines) * processorShare;
    const logBytesPerWebhook =
      (logTotals.ingest.logBytes + logTotals.ingest.emfBytes) * ingestShare +
      (logTotals.processor.logBytes + logTotals.processor.emfBytes) * processorShare;
    const billedLogBytesPerWebhook = logBytesPerWebhook + logLinesPerWebhook * LOG_EVENT_OVERHEAD_BYTES;
    const sqsRequests = [
      'SQS.SendMessageBatch',
      'SQS.SendMessage',
      'SQS.ReceiveMessage',
      'SQS.DeleteMessageBatch',
      'SQS.DeleteMessage',
      'SQS.ChangeMessageVisibility',
      'SQS.ChangeMessageVisibilityBatch',
    ].reduce((n, op) => n + per(op), 0);
    // Capacity units as DynamoDB Local charged them (by item size), not calls: an item over 1 KB costs more
    // than one write unit. Per webhook, over the main run.
    const unitsPer = (ops: readonly string[]) =>
      ops.reduce((n, op) => n + (capacity[op] ?? 0), 0) / Math.max(1, count);
    const writeOps = ['DynamoDB.PutItem', 'DynamoDB.UpdateItem', 'DynamoDB.DeleteItem'] as const;
    const readOps = ['DynamoDB.GetItem', 'DynamoDB.Query'] as const;
    const dynamoWriteCalls = writeOps.reduce((n, op) => n + per(op), 0);
    const dynamoWrites = unitsPer(writeOps);
    const dynamoReads = unitsPer(readOps);
    if (dynamoWriteCalls > 0 && dynamoWrites === 0) {
      throw new Error('DynamoDB reported no consumed capacity: the cost model cannot price its writes');
    }
    const million = 1_000_000;
    const lambda = ingestRow.ingestUsd + processorRow.processorUsd;
    const common = {
      lambda: round(lambda),
      sqs: round(sqsRequests * PRICES.sqsPerMillionRequests),
      dynamodb: round(
        dynamoWrites * PRICES.dynamoPerMillionWriteUnits + dynamoReads * PRICES.dynamoPerMillionReadUnits,
      ),
      s3: round(per('S3.PUT') * 1000 * PRICES.s3PutPer1000 + per('S3.GET') * 1000 * PRICES.s3GetPer1000),
      cloudWatchLogs: round(((billedLogBytesPerWebhook * million) / 1024 ** 3) * PRICES.cloudWatchLogsPerGb),
    };
    const sum = (o: Record<string, number>) => round(Object.values(o).reduce((a, b) => a + b, 0));
    const lambdaRequests =
      PRICES.lambdaPerMillionRequests * (1 + eventsPerWebhook / Math.max(1, probeBatchSize));
    const floor = (o: Record<string, number>) =>
      round(
        Object.entries(o)
          .filter(([k]) => k !== 'lambda' && k !== 'cloudWatchLogs')
          .reduce((n, [, v]) => n + v, 0) + lambdaRequests,
      );
    const httpApi = { apiGateway: PRICES.httpApiPerMillion, ...common };
    const functionUrl = { apiGateway: 0, ...common };
    const rest = { apiGateway: PRICES.restApiPerMillion, waf: PRICES.wafPerMillionRequests, ...common };

    return {
      webhooks: count,
      events,
      calls,
      callsPerWebhook,
      dynamoUnitsPerWebhook: {
        write: round(dynamoWrites, 3),
        writeCalls: round(dynamoWriteCalls, 3),
        read: round(dynamoReads, 3),
      },
      handler: {
        ingestMedianMs: round(ingestMedian, 1),
        processorBatchMedianMs: round(batchMedian, 1),
        recordsPerBatch: round(recordsPerBatch, 2),
        processorMsPerEvent: round(msPerEvent, 1),
      },
      logs: {
        ingest: logTotals.ingest,
        processor: logTotals.processor,
        bytesPerWebhook: round(logBytesPerWebhook, 1),
        linesPerWebhook: round(logLinesPerWebhook, 3),
        probeWebhooks: probeCount,
        probeEvents,
        billedBytesPerWebhook: round(billedLogBytesPerWebhook, 1),
        platformBytesPerWebhookAtInfo: round(
          PLATFORM_LINES_BYTES_PER_INVOCATION * (1 + processorInvocationsPerWebhook),
          1,
        ),
        samples: logSamples,
      },
      compute: {
        ingestCpuMsMean: round(ingestCpuMean, 3),
        ingestCpuMsP95: round(ingestCpuP95, 3),
        processorCpuMsPerEventMean: round(cpuPerEvent, 3),
        probeWebhooks: probeCount,
        probeBatches: batchCpu.length,
        dynamoCallsPerEvent: round(dynamoCallsPerEvent, 3),
        cdpCallsPerEvent: round(cdpCallsPerEvent, 3),
        batchRecords: probeBatchSize,
        byMemory,
        ingestMemoryMb: INGEST_MEMORY_MB,
        processorMemoryMb: PROCESSOR_MEMORY_MB,
      },
      assumptions: {
        prices: PRICES.noted,
        memory: `arm64, ingest ${INGEST_MEMORY_MB} MB, processor ${PROCESSOR_MEMORY_MB} MB (lib/resource-definitions.ts), chosen from the memory table`,
        ingestBilledMs: `${ingestBilledMs} ms per webhook: measured CPU ${round(ingestCpuMean, 2)} ms × ${round(Math.max(1, 1769 / INGEST_MEMORY_MB), 2)} (1,769 MB = 1 vCPU) + ${round(ingestWaitMs, 1)} ms SQS send at ${AWS_ROUND_TRIP_MS.sqsSend} ms`,
        processorBilledMsPerEvent: `${processorRow.processorBilledMsPerEventBatched} ms per event in invocations of ${probeBatchSize} records (this run's average; records run in parallel): (${probeBatchSize} × measured CPU ${round(cpuPerEvent, 2)} ms × ${round(Math.max(1, 1769 / PROCESSOR_MEMORY_MB), 2)} + ${round(dynamoCallsPerEvent, 2)} DynamoDB calls at ${AWS_ROUND_TRIP_MS.dynamoWrite} ms + ${round(cdpCallsPerEvent, 2)} CDP calls at ${AWS_ROUND_TRIP_MS.cdpCall} ms) / ${probeBatchSize}, the waits counted in full (an upper bound); one record per invocation (below ~1 event/s, the 1 s batching window rarely holds two) bills ${processorRow.processorBilledMsPerEvent} ms per event and ${round(processorRow.processorUsdOneRecord - processorRow.processorUsd, 2)} USD more per million webhooks`,
        lambdaAtMeasuredDurations: `$${round(lambdaMeasured)} per million webhooks with this run's local wall-clock medians instead (ingest ${round(ingestMedian, 1)} ms, processor ${round(msPerEvent, 1)} ms per event, under 8 concurrent senders on 2 shared cores)`,
        lambdaInit:
          'INIT phase billed per cold start (since 2025-08): not per webhook; the cold-start proxy (bench/results/ingest.md, one full core) stretches by the same CPU share',
        eventsPerWebhook: round(events / count, 3),
        dynamoUnits: `measured, as DynamoDB Local charges them by item size: ${round(dynamoWrites, 3)} write units for ${round(dynamoWriteCalls, 3)} write calls per webhook (${round(dynamoWrites / Math.max(0.001, dynamoWriteCalls), 3)} per call; a write refused by its condition counted as 1), ${round(dynamoReads, 3)} read units per webhook`,
        sqsRequests:
          'each call one request (messages < 64 KB); idle event source mapping polling is not included (a few hundred thousand long polls a month, ~$0.10–0.30)',
        secretsManager:
          'GetSecretValue cached 5 min per container and secret: a fixed ~$0.05 per 10,000 cold fetches, not per webhook',
        logs: `${round(billedLogBytesPerWebhook)} bytes per webhook, measured (INFO, the default): ${round(logBytesPerWebhook)} bytes of log and EMF lines + ${LOG_EVENT_OVERHEAD_BYTES} bytes per line; Lambda's START/END/REPORT lines are off (system log level WARN); at INFO they would add ${round(PLATFORM_LINES_BYTES_PER_INVOCATION * (1 + processorInvocationsPerWebhook))} bytes`,
        s3: 'claim check only for bodies above 256 KB (none in this run)',
        wafRules: 'rate-based rule + optional IP allowlist (2 rules)',
      },
      perMillionWebhooks: {
        httpApi: { ...httpApi, total: sum(httpApi) },
        restApiWithWaf: { ...rest, total: sum(rest) },
        functionUrl: { ...functionUrl, total: sum(functionUrl) },
      },
      floorBeforeComputeAndLogs: {
        httpApi: floor(httpApi),
        restApiWithWaf: floor(rest),
        functionUrl: floor(functionUrl),
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
            Math.round(1000 / Math.max(0.001, ingestBilledMs / 1000)).toLocaleString('en-US') +
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
          limit:
            'maxConcurrency 5 invocations, records of a batch in parallel: events/s per unit of concurrency in bench/results/throughput.md',
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
    logCapture.stop();
    await pipeline.stop();
    await sqsProxy.stop();
    await dynamoProxy.stop();
    await emulators.stop();
    rmSync(secretsPath, { force: true });
  }
}
