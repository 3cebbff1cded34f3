/**
 * `tsx bench/throughput.ts [--webhooks 300] [--latency 50] [--concurrency 1,2,4]` (also part of
 * `npm run bench`): events per second per unit of processor concurrency, against the CDP stand-in with a
 * fixed latency, so a user can pick `queue.maxConcurrency` for a webhook rate. For each concurrency level
 * the webhooks are queued first (the poller stopped), then a Lambda-like poller with that many concurrent
 * invocations (batches of the stack's size) drains the backlog: the drain rate is the most that
 * concurrency sustains. Writes bench/results/throughput.{json,md}.
 */
import { copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { Command, InvalidArgumentError } from 'commander';
import { createSqsClient } from '../lambdas/shared/aws-clients';
import { pipelineConfig } from '../lib/pipeline-config';
import { startEmulators } from '../local/emulators';
import { readLocalSecrets, SECRETS_EXAMPLE_PATH } from '../local/local-secrets';
import { startLocalPipeline } from '../local/pipeline';
import { postDelivery } from '../local/send-webhooks';
import { type SqsBatchHandler, startSqsPoller } from '../local/sqs-poller';
import { positiveInt, recordReport } from './lib/cli';
import { createDeliveryFactory } from './lib/deliveries';
import { createRng } from './lib/prng';
import { pool, sleep } from './lib/queues';
import { consoleTable, markdownTable } from './lib/results';
import { round } from './lib/stats';

/** Share of a level's events the rate is measured over (the rest is the retry tail). */
const STEADY_SHARE = 0.9;

export interface ThroughputRow {
  readonly concurrency: number;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly eventsPerSecondPerConcurrency: number;
  readonly batches: number;
  readonly meanBatchMs: number;
  /** Records a batch reported failed (retried after their visibility delay): each slows the drain. */
  readonly failedRecords: number;
}

export interface ThroughputReport {
  readonly cdpLatencyMs: number;
  readonly batchSize: number;
  readonly webhooksPerLevel: number;
  readonly eventsPerWebhook: number;
  readonly rows: readonly ThroughputRow[];
}

export async function runThroughput(options: {
  readonly webhooks: number;
  readonly latencyMs: number;
  readonly levels: readonly number[];
  readonly log?: (line: string) => void;
}): Promise<ThroughputReport> {
  const log = options.log ?? (() => {});
  const emulators = await startEmulators();
  const secretsPath = join(tmpdir(), `throughput-secrets-${process.pid}-${Date.now()}.json`);
  copyFileSync(SECRETS_EXAMPLE_PATH, secretsPath);
  let processor: SqsBatchHandler | undefined;
  const pipeline = await startLocalPipeline({
    port: 0,
    cdpPort: 0,
    secretsPath,
    emulators: { ...emulators, stop: async () => {} },
    quiet: true,
    log: () => {},
    pollWaitSeconds: 1,
    wrapHandlers: (real) => {
      processor = real.processor;
      return real;
    },
  });
  const sqs = createSqsClient();
  try {
    // The stack's poller is replaced by one per concurrency level.
    await pipeline.poller.stop(5000);
    if (!processor) throw new Error('The pipeline did not load the processor handler');
    pipeline.cdp.setFaults({ latencyMs: options.latencyMs });
    const factory = createDeliveryFactory({
      baseUrl: pipeline.url,
      sources: pipelineConfig.sources,
      secrets: readLocalSecrets(secretsPath),
      rng: createRng(7),
    });
    const batchSize = pipeline.definitions.eventSourceMapping.batchSize;
    const rows: ThroughputRow[] = [];
    let totalEvents = 0;
    let totalWebhooks = 0;
    for (const concurrency of options.levels) {
      const deliveries = Array.from({ length: options.webhooks }, () => factory.fresh());
      const events = deliveries.reduce((n, d) => n + d.events.length, 0);
      totalEvents += events;
      totalWebhooks += deliveries.length;
      await pool(deliveries, 8, async (d) => {
        const response = await postDelivery(d);
        if (response.status !== 202) throw new Error(`Ingest answered ${response.status}: ${response.body}`);
      });
      const batchMs: number[] = [];
      let failedRecords = 0;
      let succeeded = 0;
      let steadyAt: number | undefined;
      const steadyEvents = Math.ceil(events * STEADY_SHARE);
      const handler = processor;
      const started = performance.now();
      const poller = await startSqsPoller({
        sqs: createSqsClient({ connectionTimeoutMs: 1000, requestTimeoutMs: 10_000, maxAttempts: 3 }),
        queueUrl: pipeline.resources.queueUrl,
        queueArn: pipeline.resources.queueArn,
        handler: async (event, context) => {
          const t0 = performance.now();
          try {
            return await handler(event, context);
          } finally {
            batchMs.push(performance.now() - t0);
          }
        },
        batchSize,
        maxBatchingWindowMs: 0,
        maxConcurrency: concurrency,
        waitTimeSeconds: 1,
        onBatch: (outcome) => {
          failedRecords += outcome.failed.length;
          succeeded += outcome.succeeded.length;
          if (steadyAt === undefined && succeeded >= steadyEvents) steadyAt = performance.now();
          if (outcome.batchError) log(`  batch failed: ${outcome.batchError}`);
        },
        functionTimeoutMs: pipeline.definitions.processorFunction.timeoutSeconds * 1000,
      });
      // The tail is not throughput: a record retried later (a redelivered copy waiting out the first one's
      // lease, say) waits its visibility delay. The rate is taken over the first STEADY_SHARE of the events.
      const deadline = performance.now() + 300_000;
      while (steadyAt === undefined && performance.now() < deadline) await sleep(50);
      await poller.stop(5000);
      await sqs.send(new PurgeQueueCommand({ QueueUrl: pipeline.resources.queueUrl }));
      await sleep(1000);
      if (steadyAt === undefined) throw new Error(`Concurrency ${concurrency}: the backlog did not drain`);
      const seconds = (steadyAt - started) / 1000;
      const eventsPerSecond = steadyEvents / seconds;
      const row: ThroughputRow = {
        concurrency,
        events: steadyEvents,
        seconds: round(seconds, 2),
        eventsPerSecond: round(eventsPerSecond, 1),
        eventsPerSecondPerConcurrency: round(eventsPerSecond / concurrency, 1),
        batches: batchMs.length,
        meanBatchMs: round(batchMs.reduce((a, b) => a + b, 0) / Math.max(1, batchMs.length), 1),
        failedRecords,
      };
      rows.push(row);
      log(
        `  concurrency ${concurrency}: ${events} events in ${row.seconds} s = ${row.eventsPerSecond} events/s (${row.eventsPerSecondPerConcurrency} per unit)`,
      );
    }
    return {
      cdpLatencyMs: options.latencyMs,
      batchSize,
      webhooksPerLevel: options.webhooks,
      eventsPerWebhook: round(totalEvents / Math.max(1, totalWebhooks), 3),
      rows,
    };
  } finally {
    await pipeline.stop();
    await emulators.stop();
    rmSync(secretsPath, { force: true });
  }
}

/** The concurrency a sustained webhook rate needs, from the slowest per-unit rate measured. */
export function concurrencyFor(webhooksPerSecond: number, report: ThroughputReport): number {
  const perUnit = Math.min(...report.rows.map((r) => r.eventsPerSecondPerConcurrency));
  return Math.max(2, Math.ceil((webhooksPerSecond * report.eventsPerWebhook) / perUnit));
}

function markdown(r: ThroughputReport): string {
  const perUnit = Math.min(...r.rows.map((row) => row.eventsPerSecondPerConcurrency));
  return [
    '# Processor throughput per unit of concurrency',
    '',
    `Reproduce: \`npx tsx bench/throughput.ts --webhooks ${r.webhooksPerLevel} --latency ${r.cdpLatencyMs}\` (or \`npm run bench\`). The real processor handler against DynamoDB Local and the CDP stand-in answering every call after a fixed ${r.cdpLatencyMs} ms. For each level, ${r.webhooksPerLevel} webhooks (${r.eventsPerWebhook} events each on average) are queued first, then a Lambda-like poller with that many concurrent invocations and batches of ${r.batchSize} (records of a batch in parallel) drains the backlog: the rate over the first ${STEADY_SHARE * 100} % of the events is the most that concurrency sustains (the rest, records retried after a visibility delay, is left out; then the queue is purged).`,
    '',
    markdownTable(
      ['maxConcurrency', 'events', 'seconds', 'events/s', 'events/s per unit', 'batches', 'mean batch ms'],
      r.rows.map((row) => [
        row.concurrency,
        row.events,
        row.seconds,
        row.eventsPerSecond,
        row.eventsPerSecondPerConcurrency,
        row.batches,
        row.meanBatchMs,
      ]),
    ),
    '',
    `Sizing: \`queue.maxConcurrency\` ≥ webhooks/s × ${r.eventsPerWebhook} events per webhook ÷ ${perUnit} events/s per unit (the lowest measured), and at least 2 (the event source mapping's minimum). For example:`,
    '',
    markdownTable(
      ['sustained webhooks/s', 'maxConcurrency'],
      [10, 50, 100, 500].map((rate) => [rate, concurrencyFor(rate, r)]),
    ),
    '',
    "Locally every invocation shares this machine's 2 cores, so the per-unit rate at higher levels is a floor: on Lambda each invocation has its own CPU share. Keep the CDP's own rate limit above the events/s the chosen concurrency allows (429s are retried after `Retry-After`, but they cost attempts).",
    '',
  ].join('\n');
}

function levels(value: string): number[] {
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new InvalidArgumentError('must be a comma-separated list of positive integers');
  }
  return list;
}

/** `npm run bench` entry. */
export async function runThroughputBench(): Promise<ThroughputReport> {
  return record({ webhooks: 300, latencyMs: 50, levels: [1, 2, 4] });
}

async function record(options: {
  readonly webhooks: number;
  readonly latencyMs: number;
  readonly levels: readonly number[];
}): Promise<ThroughputReport> {
  console.log(
    `Throughput: ${options.webhooks} webhooks per level, CDP latency ${options.latencyMs} ms, levels ${options.levels.join(', ')}…`,
  );
  const report = await runThroughput({ ...options, log: console.log });
  console.log(
    `\n${consoleTable(
      ['maxConcurrency', 'events/s', 'events/s per unit'],
      report.rows.map((r) => [r.concurrency, r.eventsPerSecond, r.eventsPerSecondPerConcurrency]),
    )}`,
  );
  const paths = recordReport('throughput', report, markdown(report));
  console.log(`\nWrote ${paths.json} and ${paths.md}`);
  return report;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const options = new Command('throughput')
    .description('Measure processor events/s per unit of concurrency against a CDP with fixed latency.')
    .option('--webhooks <n>', 'webhooks queued per concurrency level', positiveInt, 300)
    .option('--latency <ms>', 'CDP stand-in latency per call, ms', positiveInt, 50)
    .option('--concurrency <list>', 'concurrency levels', levels, [1, 2, 4])
    .parse(process.argv)
    .opts<{ webhooks: number; latency: number; concurrency: number[] }>();
  await record({ webhooks: options.webhooks, latencyMs: options.latency, levels: options.concurrency });
  process.exit(0);
}
