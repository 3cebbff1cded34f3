/**
 * `npm run drill [-- --count 40]`: the CDP-outage incident drill (see bench/lib/drill-runner.ts). Prints the
 * timeline and the commands on-call runs, writes bench/results/drill.{json,md}, exits 1 if any event is not
 * applied exactly once in the end or an alarm condition did not show.
 */
import { Command } from 'commander';
import { positiveInt, recordReport } from './lib/cli';
import { type DrillReport, runDrill } from './lib/drill-runner';
import { markdownTable } from './lib/results';

const options = new Command('drill')
  .description('Rehearse a CDP outage: DLQ, alarms, recovery, CLI redrive, exactly-once.')
  .option('--count <n>', 'webhooks sent during the outage', positiveInt, 40)
  .option('--seed <n>', 'PRNG seed', positiveInt, 1)
  .parse(process.argv)
  .opts<{ count: number; seed: number }>();

function markdown(r: DrillReport): string {
  return [
    '# Incident drill: CDP outage',
    '',
    `Reproduce: \`npm run drill -- --count ${r.webhooks}\` (${r.webhooks} webhooks carrying ${r.events} events). Local mode with the real handlers; the CLI runs as a child process, as on-call would run it.`,
    '',
    `**${r.ok ? 'PASS' : 'FAIL'}**: ${r.reconciliation.appliedOnce} of ${r.events} events applied exactly once after the redrive; double effects ${r.reconciliation.doubleEffectEvents}; DLQ afterwards ${r.dlqAfter}.`,
    '',
    '## Timeline',
    '',
    markdownTable(
      ['t (s)', 'step', 'detail'],
      r.steps.map((s) => [s.atSeconds, s.step, s.detail]),
    ),
    '',
    '## Alarm conditions during the outage',
    '',
    markdownTable(
      ['alarm', 'condition', 'observed', 'firing'],
      r.alarms.map((a) => [a.alarm, a.condition, a.observed, a.firing ? 'yes' : 'no']),
    ),
    '',
    `Processor metrics recorded during the outage: ${Object.entries(r.metricsDuringOutage)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    '',
    '## What on-call runs',
    '',
    'Locally the queues are named with `--queue-url`/`--dlq-url`/`--table`; against AWS, `--stack <stack name>` (or `WEBHOOKS_STACK`) finds them. The commands and their output in this run:',
    '',
    ...r.commands.flatMap((c) => [`${c.purpose}:`, '', '```', `$ ${c.command}`, c.output, '```', '']),
  ].join('\n');
}

// Local mode starts (and stops) its own emulators.
let code = 1;
try {
  const report = await runDrill({ ...options, log: (line) => console.log(line) });
  console.log('\nOn-call, during a CDP outage:');
  for (const c of report.commands) console.log(`  # ${c.purpose}\n  ${c.command}`);
  const paths = recordReport('drill', report, markdown(report));
  console.log(`\n${report.ok ? 'PASS' : 'FAIL'}. Wrote ${paths.json} and ${paths.md}`);
  code = report.ok ? 0 : 1;
} catch (error) {
  console.error(error);
}
process.exit(code);
