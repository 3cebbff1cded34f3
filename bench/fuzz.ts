/**
 * `npm run fuzz [-- --count 10000 --seed 1 --concurrency 8]`: hostile requests against the real ingest
 * handler (see bench/lib/fuzz-runner.ts for what is generated and which promises are checked). Prints a
 * table, writes bench/results/fuzz.{json,md}, exits 1 on any violation.
 */
import { Command } from 'commander';
import { ensureEmulators, positiveInt, recordReport } from './lib/cli';
import { type FuzzReport, runFuzz } from './lib/fuzz-runner';
import { consoleTable, markdownTable } from './lib/results';

const options = new Command('fuzz')
  .description('Fuzz the ingest handler with hostile requests; fails on any crash, 5xx or forgery.')
  .option('--count <n>', 'requests to generate', positiveInt, 10_000)
  .option('--seed <n>', 'PRNG seed (same seed, same requests)', positiveInt, 1)
  .option('--concurrency <n>', 'requests in flight', positiveInt, 8)
  .parse(process.argv)
  .opts<{ count: number; seed: number; concurrency: number }>();

function rows(report: FuzzReport) {
  return Object.entries(report.byCategory)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, s]) => [name, s.requests, s.accepted, s.rejected4xx, s.status5xx, s.crashes]);
}
const HEADERS = ['category', 'requests', '2xx', '4xx', '5xx', 'crashes'];

function markdown(report: FuzzReport): string {
  return [
    '# Fuzz results',
    '',
    `Reproduce: \`npm run fuzz -- --count ${report.requests} --seed ${report.seed}\` (real ingest handler, fauxqs SQS/S3).`,
    '',
    `**${report.ok ? 'PASS' : 'FAIL'}**: ${report.requests} requests in ${(report.durationMs / 1000).toFixed(1)} s ` +
      `(${report.requestsPerSecond} req/s); violations: ${report.violations.total}.`,
    '',
    markdownTable(
      ['promise', 'breaches'],
      [
        ['handler crashes (throws / no HTTP answer)', report.violations.byKind.crash ?? 0],
        ['5xx answers', report.violations.byKind['5xx'] ?? 0],
        ['forged/replayed/tampered requests answered 2xx', report.violations.byKind.forgery_accepted ?? 0],
        ['queued messages never signed with the real secret', report.violations.byKind.forgery_enqueued ?? 0],
        ['4xx without a JSON `error`', report.violations.byKind.bad_4xx_body ?? 0],
        ['fresh, correctly signed deliveries rejected', report.violations.byKind.legit_rejected ?? 0],
      ],
    ),
    '',
    '## By category',
    '',
    markdownTable(HEADERS, rows(report)),
    '',
    `Queue afterwards: ${report.queue.messages} messages, DLQ ${report.queue.dlqMessages} (authentic but unusable payloads); ` +
      `${report.queue.unsigned} carry bytes that were not signed with the real secret.`,
    '',
    '## Rejection reasons',
    '',
    markdownTable(
      ['error', 'count'],
      Object.entries(report.rejectReasons).sort((a, b) => b[1] - a[1]),
    ),
    '',
  ].join('\n');
}

const stop = await ensureEmulators();
let code = 1;
try {
  console.log(`Fuzzing the ingest handler with ${options.count} requests (seed ${options.seed})…`);
  const report = await runFuzz({ ...options, log: (line) => console.log(line) });
  console.log(`\n${consoleTable(HEADERS, rows(report))}\n`);
  console.log(`status codes: ${JSON.stringify(report.statusCounts)}`);
  console.log(
    `queue: ${report.queue.messages} messages, DLQ: ${report.queue.dlqMessages}, unsigned: ${report.queue.unsigned}`,
  );
  for (const v of report.violations.samples) console.log(`VIOLATION ${v.kind} [${v.category}] ${v.detail}`);
  if (!report.ok) for (const line of report.handlerLogs.slice(0, 10)) console.log(`handler: ${line}`);
  const paths = recordReport('fuzz', report, markdown(report));
  console.log(
    `\n${report.ok ? 'PASS' : 'FAIL'}: ${report.violations.total} violation(s). Wrote ${paths.json} and ${paths.md}`,
  );
  code = report.ok ? 0 : 1;
} finally {
  await stop();
}
process.exit(code);
