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
/** Issue 17's price targets, USD per million webhooks at list price. */
const PRICE_TARGETS = { httpApi: 3.5, functionUrl: 2.5 } as const;
/** Issue 17's targets for DynamoDB writes per event, by the kind names of bench/lib/writes-by-kind.ts. */
const WRITE_TARGETS = [
  { kind: 'unguarded single operation', target: 2 },
  { kind: 'guarded upsert', target: 3 },
] as const;

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

const verdict = (met: boolean) => (met ? '**met**' : '**missed**');

/**
 * Issue 17's targets, each with its measured value and whether it is met; a missed price target is shown
 * with its floor: what the same front door costs with no Lambda duration and no logs at all.
 */
function targetsSection(r: CostReport): string[] {
  const rows: (string | number)[][] = [];
  for (const { kind, target } of WRITE_TARGETS) {
    const row = r.writesByKind?.find((w) => w.kind === kind);
    rows.push([
      `DynamoDB writes per event, ${kind}`,
      `≤ ${target}`,
      row ? row.writesPerEvent : 'not measured',
      row ? verdict(row.writesPerEvent <= target) : '**missed**',
    ]);
  }
  const logs = r.logs.billedBytesPerWebhook;
  rows.push([
    'logs per webhook, billed, default level',
    `≤ ${LOG_TARGET_BYTES_PER_WEBHOOK} bytes`,
    `${logs} bytes`,
    verdict(logs <= LOG_TARGET_BYTES_PER_WEBHOOK),
  ]);
  rows.push([
    'metric dimensions bounded; monitoring priced per month',
    'no unbounded dimension',
    `dimensions service, source, reason, class; ${r.monitoring.customMetricsPerSource.steady} healthy custom metrics per source; $${r.monitoring.usdPerMonth.totalSteady} a month for ${r.monitoring.sources} sources`,
    verdict(true),
  ]);
  rows.push([
    'compute measured, memory chosen from it',
    'measured CPU, stated memory',
    `ingest ${r.compute.ingestCpuMsMean} ms, processor ${r.compute.processorCpuMsPerEventMean} ms per event CPU; ${r.compute.ingestMemoryMb} / ${r.compute.processorMemoryMb} MB`,
    verdict(true),
  ]);
  const price = (label: string, key: 'httpApi' | 'functionUrl') => {
    const total = r.perMillionWebhooks[key].total ?? 0;
    const target = PRICE_TARGETS[key];
    const floor = r.floorBeforeComputeAndLogs[key];
    rows.push([
      `USD per million webhooks, ${label}`,
      `≤ ${target.toFixed(2)}`,
      `${total.toFixed(2)} (floor ${floor.toFixed(2)})`,
      verdict(total <= target),
    ]);
  };
  price('HTTP API', 'httpApi');
  price('Function URL', 'functionUrl');
  const h = r.perMillionWebhooks.httpApi;
  const floorMisses = (['httpApi', 'functionUrl'] as const).filter(
    (k) => r.floorBeforeComputeAndLogs[k] > PRICE_TARGETS[k],
  );
  return [
    '## Targets (issue 17)',
    '',
    markdownTable(['target', 'wanted', 'measured', 'verdict'], rows),
    '',
    `Floor: the total with no Lambda duration and no log bytes at all: the front door, SQS ($${h.sqs}), DynamoDB ($${h.dynamodb}), S3 and Lambda's request charges (one ingest invocation per webhook, one processor invocation per ${r.compute.batchRecords} events), as measured in this run. ${
      floorMisses.length > 0
        ? `For ${floorMisses.map((k) => (k === 'httpApi' ? 'the HTTP API' : 'the Function URL')).join(' and ')} the floor alone is above the target: no compute or logging change can meet it. DynamoDB is the largest part and is already at the per-kind write targets above (${r.callsPerWebhook['DynamoDB.PutItem'] ?? 0} PutItem + ${r.callsPerWebhook['DynamoDB.UpdateItem'] ?? 0} UpdateItem per webhook for this mix of ${r.assumptions.eventsPerWebhook} events per webhook, many of them guarded upserts); going lower needs fewer writes per event than those targets allow. The writes left are the claim, the entity guard and the completion that outlives the CDP's Idempotency-Key window (the sequence below).`
        : 'Both price targets lie above their floors.'
    } Cold start: bench/results/ingest.md; throughput per unit of concurrency: bench/results/throughput.md.`,
    '',
  ];
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
    `The processor runs a batch's records in parallel: an invocation of b records bills about b × the CPU (one thread) plus one record's waits, counted in full (an upper bound). Its cost per webhook therefore depends on how full the batches are: the totals use ${c.batchRecords} records per invocation, this run's average, which the 1 s batching window reaches at about ${c.batchRecords} events/s and above; a trickle (below ~1 event/s) runs one record per invocation and pays the "one record" columns. At a million webhooks a month (0.4/s) that difference is $${round((c.byMemory.find((m) => m.memoryMb === c.processorMemoryMb)?.processorUsdOneRecord ?? 0) - (c.byMemory.find((m) => m.memoryMb === c.processorMemoryMb)?.processorUsd ?? 0), 2)} a month at the processor's default memory; at volume, where the per-million price matters, batches are full.`,
    '',
    markdownTable(
      [
        'memory',
        'ingest billed ms (mean / p95)',
        'ingest USD per million webhooks',
        `processor billed ms per event (${c.batchRecords} records / invocation)`,
        `processor USD per million webhooks (${c.batchRecords} records / invocation)`,
        'processor billed ms per event (one record)',
        'processor USD per million webhooks (one record)',
        'processor events/s per unit of concurrency (batches of 10)',
      ],
      c.byMemory.map((m) => [
        `${m.memoryMb} MB${m.memoryMb === c.ingestMemoryMb ? ' (ingest default)' : ''}${m.memoryMb === c.processorMemoryMb ? ' (processor default)' : ''}`,
        `${m.ingestBilledMs} / ${m.ingestBilledMsP95}`,
        m.ingestUsd,
        m.processorBilledMsPerEventBatched,
        m.processorUsd,
        m.processorBilledMsPerEvent,
        m.processorUsdOneRecord,
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
    ...targetsSection(r),
    ...monitoringSection(r),
    '## Measured AWS calls per webhook',
    '',
    markdownTable(['call', 'per webhook'], Object.entries(r.callsPerWebhook)),
    '',
    `DynamoDB capacity, measured (the counting proxy asks for \`ReturnConsumedCapacity\`; DynamoDB Local charges by item size as DynamoDB does): ${r.dynamoUnitsPerWebhook.write} write units for ${r.dynamoUnitsPerWebhook.writeCalls} write calls per webhook, ${r.dynamoUnitsPerWebhook.read} read units. The DynamoDB line is priced from these units.`,
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
      // As listed (String): rounding would print the GB-second price as 0.
      Object.entries(PRICES)
        .filter(([k]) => k !== 'noted')
        .map(([k, v]) => [k, String(v)]),
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
