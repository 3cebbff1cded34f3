/**
 * `npm run chaos [-- --count 10000 --seed 1]`: local mode under faults and crashes, then a reconciliation
 * (see bench/lib/chaos-runner.ts). With the adversarial generators on (the default; `--no-adversary` for
 * the kind run alone) it also hunts stale overwrites, forged requests accepted and replay effects. Prints a
 * table, writes bench/results/chaos.{json,md}, exits 1 on any non-zero counter.
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
  .option('--no-adversary', 'only the kind workload: no entity streams, replays or secret phases')
  .option('--stream-share <r>', 'share of requests in entity streams (shared CDP entities)', rate, 0.3)
  .option('--replay-share <r>', 'share of requests that are replays of captured deliveries', rate, 0.04)
  .parse(process.argv)
  .opts<{
    count: number;
    seed: number;
    concurrency: number;
    duplicateRate: number;
    crashRate: number;
    invocationCrashRate: number;
    adversary: boolean;
    streamShare: number;
    replayShare: number;
  }>();

function counterRows(r: ChaosReport): Cell[][] {
  const c = r.counters;
  return [
    [
      'lost',
      `${c.lost}${r.reconciliation.lostByTag['replay original'] ? ` (${r.reconciliation.lostByTag['replay original']} of them replayed originals: a replay of the same bytes took their place)` : ''}`,
    ],
    ['doubled (events with a double effect)', c.doubled],
    ['stale overwrites (entities not at their newest applied state)', c.staleOverwrites],
    ['forged accepted (empty, blank or rotated-out secret)', c.forgedAccepted],
    ['replay effects (CDP effects of replays with new unsigned ids/topics)', c.replayEffects],
    ['Secrets Manager outage violations', c.outageViolations],
    ['valid requests refused during a rotation', c.rotationRefusals],
    [
      'genuine deliveries never acknowledged (answer lost or 5xx) / of them applied (queued before the answer was lost; judged for doubles and staleness like accepted ones)',
      `${r.reconciliation.unacknowledgedEvents} / ${r.reconciliation.unacknowledgedApplied}`,
    ],
    ['CDP effects of no known event (must be 0)', r.reconciliation.unattributedEffects],
  ];
}

function adversaryRows(r: ChaosReport): Cell[][] {
  const a = r.adversary;
  if (!a) return [];
  return [
    [
      'entity streams: entities / events / deliveries',
      `${a.streams.entities} / ${a.streams.events} / ${a.streams.deliveries}`,
    ],
    ['entities written by 2+ accepted events (judged for staleness)', r.reconciliation.sharedEntities],
    ['older updates skipped (a newer one applied)', r.reconciliation.supersededEvents],
    [
      'replays: originals / sent / accepted / under a new dedupe key',
      `${a.replays.originals} / ${a.replays.sent} / ${a.replays.accepted} / ${a.replays.newKeys}`,
    ],
    ['forged requests (empty or blank secret): sent / accepted', `${a.forged.sent} / ${a.forged.accepted}`],
    [
      'rotation: refused while both active / old accepted after drop / current refused',
      `${a.rotation.refusedDuringRotation} / ${a.rotation.rotatedOutAccepted} / ${a.rotation.currentRefused}`,
    ],
    [
      'SM outage: slow answers (slowest ms) / accepted a day in / recovered / old accepted after',
      `${a.outage.slowAnswers}/${a.outage.requestsWithinBound} (${a.outage.slowestMs}) / ` +
        `${a.outage.acceptedBeyondBound}/${a.outage.requestsBeyondBound} / ${a.outage.recovered ? 'yes' : 'NO'} / ` +
        `${a.outage.rotatedOutAcceptedAfter}`,
    ],
  ];
}

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
    ['older update skipped, a newer one of the entity applied', c.supersededEvents],
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
    `**${r.ok ? 'PASS' : 'FAIL'}**: accepted = applied exactly once + older updates skipped + acknowledged no-ops + dead-lettered with a reason; ` +
      `lost ${r.counters.lost}, doubled ${r.counters.doubled}, stale overwrites ${r.counters.staleOverwrites}, ` +
      `forged accepted ${r.counters.forgedAccepted}, replay effects ${r.counters.replayEffects}.`,
    '',
    markdownTable(['counter (must be 0)', 'count'], counterRows(r)),
    '',
    markdownTable(['outcome', 'count'], outcomeRows(r)),
    ...(r.adversary
      ? [
          '',
          '## Adversarial generators',
          '',
          "Entity streams: Stripe subscription updates, Shopify order updates and Segment identify calls sharing one CDP entity each, in shuffled order with re-deliveries. Replays: captured Shopify, GitHub, Twilio and Linear deliveries re-sent byte for byte with new unsigned ids or topics. Forged: sources whose secret is empty or blank in each form, sent requests signed with that key. Rotation and a Secrets Manager outage (a hanging endpoint) on the ingest's secret cache, whose clock the run moves forward.",
          '',
          markdownTable(['adversarial figure', 'value'], adversaryRows(r)),
          '',
          markdownTable(
            ['replay mutation', 'sent / accepted / new key'],
            Object.entries(r.adversary.replays.byMutation).map(([k, v]) => [
              k,
              `${v.sent} / ${v.accepted} / ${v.newKeys}`,
            ]),
          ),
          '',
          markdownTable(
            ['empty secret form', 'sent / accepted / answers'],
            Object.entries(r.adversary.forged.byForm).map(([k, v]) => [
              k,
              `${v.sent} / ${v.accepted} / ${Object.entries(v.statuses)
                .map(([s, n]) => `${s}: ${n}`)
                .join(', ')}`,
            ]),
          ),
          '',
          markdownTable(
            ['effects of foreign requests', 'count'],
            Object.entries(r.reconciliation.foreignEffects),
          ),
        ]
      : []),
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
    markdownTable(['injected crash point', 'count'], Object.entries(r.processor.crashesByPoint)),
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
  const { adversary, streamShare, replayShare, ...rest } = options;
  const report = await runChaos({
    ...rest,
    ...(adversary ? { adversary: { streamShare, replayShare } } : {}),
    log: (line) => console.log(line),
  });
  console.log(`\n${consoleTable(['counter (must be 0)', 'count'], counterRows(report))}\n`);
  console.log(`${consoleTable(['outcome', 'count'], outcomeRows(report))}\n`);
  if (report.adversary)
    console.log(`${consoleTable(['adversarial figure', 'value'], adversaryRows(report))}\n`);
  console.log(consoleTable(['figure', 'value'], perfRows(report)));
  if (report.reconciliation.lostSamples.length)
    console.log(`lost: ${report.reconciliation.lostSamples.join(', ')}`);
  if (report.reconciliation.doubleSamples.length)
    console.log(`double effects: ${report.reconciliation.doubleSamples.join(', ')}`);
  if (report.reconciliation.staleSamples.length)
    console.log(`stale overwrites: ${report.reconciliation.staleSamples.join(', ')}`);
  const paths = recordReport('chaos', report, markdown(report));
  console.log(`\n${report.ok ? 'PASS' : 'FAIL'}. Wrote ${paths.json} and ${paths.md}`);
  code = report.ok ? 0 : 1;
} catch (error) {
  console.error(error);
}
process.exit(code);
