/**
 * `tsx bench/cost.ts [-- --count 1000]` (also part of `npm run bench`): measures AWS calls per webhook and
 * handler durations in local mode, prices them (see bench/lib/cost-runner.ts for prices and assumptions)
 * and writes bench/results/cost.{json,md}.
 */
import { Command } from 'commander';
import { positiveInt, recordReport } from './lib/cli';
import { type CostReport as CostModelReport, PRICES, runCostModel } from './lib/cost-runner';
import { AWS_ROUND_TRIP_MS, type FunctionLogTotals, LOG_EVENT_OVERHEAD_BYTES } from './lib/lambda-model';
import { CLOUDWATCH_PRICES } from './lib/monitoring-cost';
import { consoleTable, markdownTable } from './lib/results';
import { round } from './lib/stats';
import { measureWritesByKind, type WritesByKindRow } from './lib/writes-by-kind';

/** The cost model's report plus the writes per event by kind. */
export type CostReport = CostModelReport & { readonly writesByKind?: readonly WritesByKindRow[] };

/** Issue 17's target for logs per webhook, end to end. */
const LOG_TARGET_BYTES_PER_WEBHOOK = 600;

/** Runs the cost model and records it; returns the report (for bench/run-all.ts). */
export async function recordCostModel(
  count: number,
  log: (line: string) => void = console.log,
): Promise<CostReport> {
  log(`Cost model: ${count} webhooks through local mode with counting proxies…`);
  const costModel = await runCostModel({ count, log });
  log('DynamoDB writes per event by kind (real processor, DynamoDB Local, one event at a time)…');
  const report: CostReport = { ...costModel, writesByKind: await measureWritesByKind() };
  const lines = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => [k, v]);
  log(`\n${consoleTable(['AWS call', 'per webhook'], lines(report.callsPerWebhook))}\n`);
  log(`${consoleTable(WRITES_BY_KIND_HEADER, writesByKindRows(report.writesByKind ?? []))}\n`);
  log(
    consoleTable(
      ['USD per million webhooks', 'HTTP API', 'REST API + WAF', 'Function URL'],
      costRows(report),
    ),
  );
  const paths = recordReport('cost', report, markdown(report));
  log(`\nWrote ${paths.json} and ${paths.md}`);
  return report;
}

const WRITES_BY_KIND_HEADER = ['event kind', 'example', 'writes per event', 'consistent reads per event'];

function writesByKindRows(rows: readonly WritesByKindRow[]): (string | number)[][] {
  return rows.map((r) => [r.kind, r.example, r.writesPerEvent, r.readsPerEvent]);
}

/** Writes per event by kind, with the targets of issue 17 (≤ 2 unguarded, ≤ 3 guarded upsert). */
function writesByKindSection(r: CostReport): string[] {
  if (!r.writesByKind) return [];
  return [
    '## DynamoDB writes per event, by kind',
    '',
    "Counted on the state table's document client while the real processor handles each kind alone (bench/lib/writes-by-kind.ts; asserted as counts in test/integration/processor/writes-per-event.test.ts). A write refused by its condition is billed, so it counts. Targets: ≤ 2 for an event whose operations need no ordering guard, ≤ 3 for a guarded upsert.",
    '',
    markdownTable(WRITES_BY_KIND_HEADER, writesByKindRows(r.writesByKind)),
    '',
    'The sequence: claim (PutItem); per operation before the last, its applied record (and for a guarded upsert the entity lock with its intent, then the commit); for the last operation, the entity lock if guarded; then the completion, which also records the last operation and ends its entity lock (lambdas/dedupe/entity-guard.ts explains why "event completed" may stand for the commit).',
    '',
    "Floors, measured and kept: a guarded upsert of an entity whose previous event completed moments before pays one more write and two reads (the lock write is refused while that lock is still live, then the entity and the holder's event record are read and the lock taken over). A multi-operation event keeps the commit and the applied record of every operation before the last: holding an entity's lock until the whole event completes would make two multi-operation events that touch the same entities in opposite order wait on each other until their locks expire, and an applied record is what lets a redrive days later (after the CDP forgot the Idempotency-Key) skip an operation already applied.",
    '',
  ];
}

/** `npm run bench` entry: the cost model with 1,000 webhooks. */
export function runCostBench(): Promise<CostReport> {
  return recordCostModel(1000);
}

function costRows(r: CostReport): (string | number)[][] {
  const keys = [
    ...new Set([
      ...Object.keys(r.perMillionWebhooks.restApiWithWaf),
      ...Object.keys(r.perMillionWebhooks.httpApi),
    ]),
  ];
  return keys.map((k) => [
    k,
    r.perMillionWebhooks.httpApi[k] ?? 0,
    r.perMillionWebhooks.restApiWithWaf[k] ?? 0,
    r.perMillionWebhooks.functionUrl[k] ?? 0,
  ]);
}

/** Custom metrics, alarms and dashboard per month (bench/lib/monitoring-cost.ts). */
function monitoringSection(r: CostReport): string[] {
  const m = r.monitoring;
  const usd = m.usdPerMonth;
  return [
    `## Monitoring per month, ${m.sources} sources (CloudWatch list prices)`,
    '',
    `Custom metrics per source: ${m.customMetricsPerSource.steady} with healthy traffic, at most ${m.customMetricsPerSource.max} (every failure reason and class in the same month; each is billed only in the hours it gets data). No dimension takes unbounded values: event types are in the logs, not in metric dimensions.`,
    '',
    markdownTable(
      ['item', 'healthy (USD/month)', 'every failure kind at once (USD/month)'],
      [
        [
          `custom metrics (${m.customMetrics.steady} / ${m.customMetrics.max} at $${CLOUDWATCH_PRICES.customMetricPerMonth})`,
          usd.customMetricsSteady,
          usd.customMetricsMax,
        ],
        ['alarms (7 standard + Metrics Insights per metric analysed)', usd.alarmsSteady, usd.alarmsMax],
        ['dashboard (beyond the 3 free)', usd.dashboard, usd.dashboard],
        ['total', usd.totalSteady, usd.totalMax],
      ],
    ),
    '',
  ];
}

/** Log bytes as measured: what the handlers wrote in the run, by function and kind. */
function logsSection(r: CostReport): string[] {
  const l = r.logs;
  const row = (fn: string, t: FunctionLogTotals, n: number) => [
    fn,
    round(t.logLines / n, 2),
    round(t.logBytes / n, 1),
    round(t.emfLines / n, 2),
    round(t.emfBytes / n, 1),
  ];
  const met = l.billedBytesPerWebhook <= LOG_TARGET_BYTES_PER_WEBHOOK;
  return [
    '## Logs per webhook (measured, default level INFO)',
    '',
    `The handlers run with production's logging (Powertools Logger at INFO, EMF metrics on, no dev pretty-printing); every line they write is taken off stdout/stderr and counted by function, one invocation at a time as in a Lambda container (${l.probeWebhooks} webhooks, ${l.probeEvents} events, processor batches of the main run's average size). EMF lines are CloudWatch Logs ingestion too; the success path writes none (its metrics, \`Enqueued\`, \`Processed\`, \`DuplicateSkipped\`, \`CdpLatency\`, are CloudWatch Logs metric filters on the log lines counted here, which cost nothing: lambdas/shared/log-metrics.ts). Per webhook = the ingest's lines + the processor's per event × ${r.assumptions.eventsPerWebhook} events per webhook.`,
    '',
    markdownTable(
      ['function', 'log lines', 'log bytes', 'EMF lines', 'EMF bytes'],
      [
        row('ingest, per webhook', l.ingest, l.probeWebhooks),
        row('processor, per event', l.processor, l.probeEvents),
      ],
    ),
    '',
    `Total **${l.bytesPerWebhook} bytes in ${l.linesPerWebhook} lines per webhook**; billed as ${l.billedBytesPerWebhook} bytes with CloudWatch's ${LOG_EVENT_OVERHEAD_BYTES} bytes per log event: target ≤ ${LOG_TARGET_BYTES_PER_WEBHOOK} bytes **${met ? 'met' : 'missed'}**. Lambda's START/END/REPORT lines are not written (JSON log format, system log level WARN: lib/constructs/webhook-function.ts); with the system level at INFO they would add about ${l.platformBytesPerWebhookAtInfo} bytes per webhook.`,
    '',
    'Sample lines:',
    '',
    ...Object.entries(l.samples).flatMap(([k, v]) => [`- ${k}: \`${v}\``]),
    '',
  ];
}

/** Measured CPU, modelled billed duration and Lambda cost per memory size. */
function computeSection(r: CostReport): string[] {
  const c = r.compute;
  return [
    '## Compute: measured CPU, billed duration by memory size',
    '',
    `CPU time (user + system) around each handler invocation, measured one invocation at a time after the main run (${c.probeWebhooks} webhooks, ${c.probeBatches} processor batches; the in-process emulators serving the handler's calls are included, so an upper bound): ingest ${c.ingestCpuMsMean} ms mean (p95 ${c.ingestCpuMsP95} ms) per webhook, processor ${c.processorCpuMsPerEventMean} ms per event. Lambda bills wall time: the CPU part stretches by 1,769 MB / memory (one vCPU at 1,769 MB; the handlers are single-threaded), the waits on AWS do not: SQS send ${AWS_ROUND_TRIP_MS.sqsSend} ms, ${c.dynamoCallsPerEvent} DynamoDB calls per event at ${AWS_ROUND_TRIP_MS.dynamoWrite} ms, ${c.cdpCallsPerEvent} CDP calls per event at ${AWS_ROUND_TRIP_MS.cdpCall} ms (the throughput run's stand-in latency).`,
    '',
    markdownTable(
      [
        'memory',
        'ingest billed ms (mean / p95)',
        'ingest USD per million webhooks',
        'processor billed ms per event',
        'processor USD per million webhooks',
        'processor events/s per unit of concurrency (batches of 10)',
      ],
      c.byMemory.map((m) => [
        `${m.memoryMb} MB${m.memoryMb === c.ingestMemoryMb ? ' (ingest default)' : ''}${m.memoryMb === c.processorMemoryMb ? ' (processor default)' : ''}`,
        `${m.ingestBilledMs} / ${m.ingestBilledMsP95}`,
        m.ingestUsd,
        m.processorBilledMsPerEvent,
        m.processorUsd,
        m.processorEventsPerSecondPerUnit,
      ]),
    ),
    '',
  ];
}

function markdown(r: CostReport): string {
  return [
    '# Cost model',
    '',
    `Reproduce: \`npx tsx bench/cost.ts --count ${r.webhooks}\` (or \`npm run bench\`). AWS calls are counted by proxies in front of the emulators while the real handlers process ${r.webhooks} webhooks (${r.events} events) across the configured providers.`,
    '',
    '## USD per million webhooks (us-east-1 list prices)',
    '',
    markdownTable(['component', 'HTTP API (default)', 'REST API + WAF', 'Function URL'], costRows(r)),
    '',
    `Fixed per month: $${r.monthlyFixed.secretsPerSource} per source secret; with the REST option $${r.monthlyFixed.wafWebAclWithTwoRules} for the web ACL and its two rules.`,
    '',
    ...monitoringSection(r),
    '## Measured AWS calls per webhook',
    '',
    markdownTable(['call', 'per webhook'], Object.entries(r.callsPerWebhook)),
    '',
    ...writesByKindSection(r),
    `Handler durations (local, loopback emulators): ingest median ${r.handler.ingestMedianMs} ms; processor batch median ${r.handler.processorBatchMedianMs} ms for ${r.handler.recordsPerBatch} records on average (${r.handler.processorMsPerEvent} ms per event).`,
    '',
    ...logsSection(r),
    ...computeSection(r),
    '## Assumptions',
    '',
    markdownTable(['assumption', 'value'], Object.entries(r.assumptions)),
    '',
    '## Prices used',
    '',
    markdownTable(
      ['price', 'USD'],
      Object.entries(PRICES).filter(([k]) => k !== 'noted'),
    ),
    '',
    '## Capacity: limits at each hop',
    '',
    markdownTable(
      ['hop', 'limit', 'raised with'],
      r.capacity.map((c) => [c.hop, c.limit, c.raiseWith]),
    ),
    '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const options = new Command('cost')
    .description('Measure AWS calls per webhook and price them.')
    .option('--count <n>', 'webhooks to send', positiveInt, 1000)
    .parse(process.argv)
    .opts<{ count: number }>();
  await recordCostModel(options.count);
  process.exit(0);
}
