/**
 * `npm run chaos [-- --count 10000 --seed 1]`: local mode under faults and crashes, then a reconciliation
 * (see bench/lib/chaos-runner.ts). Prints a table, writes bench/results/chaos.{json,md}, exits 1 on any
 * loss, double effect or unexplained rejection.
 */
import { Command } from 'commander';
import { type ChaosReport, runChaos } from './lib/chaos-runner';
import { positiveInt, rate, recordReport } from './lib/cli';
import { type Cell, consoleTable, markdownTable } from './lib/results';

const options = new Command('chaos')
  .description('Send signed webhooks through local mode under CDP faults and crashes; reconcile the outcome.')
  .option('--count <n>', 'webhook requests to send (duplicates included)', positiveInt, 10_000)
  .option('--seed <n>', 'PRNG seed', positiveInt, 1)
  .option('--concurrency <n>', 'requests in flight', positiveInt, 16)
  .option('--duplicate-rate <r>', 'share of re-deliveries', rate, 0.2)
  .option('--crash-rate <r>', 'crash probability at each post-write bookkeeping step', rate, 0.02)
  .option('--invocation-crash-rate <r>', 'probability an invocation dies before answering', rate, 0.01)
  .parse(process.argv)
  .opts<{
    count: number;
    seed: number;
    concurrency: number;
    duplicateRate: number;
    crashRate: number;
    invocationCrashRate: number;
  }>();

function outcomeRows(r: ChaosReport): Cell[][] {
  const c = r.reconciliation;
  return [
    ['requests sent', r.requests.sent],
    ['requests accepted (2xx)', r.requests.accepted],
    ['ingest 5xx/network errors re-sent, provider-style', r.requests.providerRetries],
    [
      'deliveries never accepted (provider keeps them)',
      Object.values(r.requests.rejected).reduce((a, b) => a + b, 0),
    ],
    [
      'duplicate deliveries (concurrent pairs)',
      `${r.requests.duplicates} (${r.requests.concurrentDuplicates})`,
    ],
    ['distinct events accepted', c.acceptedEvents],
    ['applied exactly once', c.appliedOnce],
    ['acknowledged, nothing to apply (unmapped type)', c.acknowledgedNoop],
    ['dead-lettered with a reason', c.deadLettered],
    ['double effects (events)', c.doubleEffectEvents],
    ['lost', c.lost],
    [
      'CDP requests / injected faults',
      `${r.cdp.requests} / ${Object.values(r.cdp.faults).reduce((a, b) => a + b, 0)}`,
    ],
    ['CDP idempotent replays', r.cdp.replayed],
    [
      'injected crashes (bookkeeping / invocation)',
      `${r.processor.injectedCrashes} / ${r.processor.invocationCrashes}`,
    ],
  ];
}

function perfRows(r: ChaosReport): Cell[][] {
  return [
    ['ingest throughput (req/s)', r.throughput.ingestRequestsPerSecond],
    ['end-to-end throughput (events/s)', r.throughput.endToEndEventsPerSecond],
    [
      'ingest handler latency p50 / p95 / p99 (ms)',
      `${r.latencyMs.ingest.p50} / ${r.latencyMs.ingest.p95} / ${r.latencyMs.ingest.p99}`,
    ],
    [
      'end-to-end latency p50 / p95 / p99 (ms)',
      `${r.latencyMs.endToEnd.p50} / ${r.latencyMs.endToEnd.p95} / ${r.latencyMs.endToEnd.p99}`,
    ],
    [
      'send phase / total (s)',
      `${(r.durationMs.send / 1000).toFixed(1)} / ${(r.durationMs.total / 1000).toFixed(1)}`,
    ],
  ];
}

function markdown(r: ChaosReport): string {
  return [
    '# Chaos results',
    '',
    `Reproduce: \`npm run chaos -- --count ${r.requests.sent} --seed ${String(r.settings.seed)}\` (local mode: real ingest and processor code, fauxqs SQS/S3, DynamoDB Local, CDP stand-in).`,
    '',
    `**${r.ok ? 'PASS' : 'FAIL'}**: accepted = applied exactly once + acknowledged no-ops + dead-lettered with a reason; ` +
      `double effects ${r.reconciliation.doubleEffectEvents}, lost ${r.reconciliation.lost}.`,
    '',
    markdownTable(['outcome', 'count'], outcomeRows(r)),
    '',
    '## Throughput and latency',
    '',
    markdownTable(['figure', 'value'], perfRows(r)),
    '',
    "End-to-end latency runs from the first POST of an event to the CDP's first successful answer for its last operation, so it includes retries after injected faults (processor backoff 2–20 s in this run, 10–900 s by default).",
    '',
    '## Faults and failures',
    '',
    markdownTable(['CDP fault', 'count'], Object.entries(r.cdp.faults)),
    '',
    markdownTable(['processor failure class', 'count'], Object.entries(r.processor.failuresByClass)),
    '',
    markdownTable(['DLQ reason', 'events'], Object.entries(r.reconciliation.deadLetteredByReason)),
    '',
    '## Settings',
    '',
    '```json',
    JSON.stringify(r.settings, null, 2),
    '```',
    '',
  ].join('\n');
}

// Local mode starts (and stops) its own emulators.
let code = 1;
try {
  console.log(`Chaos run: ${options.count} webhooks (seed ${options.seed})…`);
  const report = await runChaos({ ...options, log: (line) => console.log(line) });
  console.log(`\n${consoleTable(['outcome', 'count'], outcomeRows(report))}\n`);
  console.log(consoleTable(['figure', 'value'], perfRows(report)));
  if (report.reconciliation.lostSamples.length)
    console.log(`lost: ${report.reconciliation.lostSamples.join(', ')}`);
  if (report.reconciliation.doubleSamples.length)
    console.log(`double effects: ${report.reconciliation.doubleSamples.join(', ')}`);
  const paths = recordReport('chaos', report, markdown(report));
  console.log(`\n${report.ok ? 'PASS' : 'FAIL'}. Wrote ${paths.json} and ${paths.md}`);
  code = report.ok ? 0 : 1;
} catch (error) {
  console.error(error);
}
process.exit(code);
