/**
 * `npm run send -- <provider|sourceId> [event] [--url http://localhost:3000] [--count n] [--duplicate]`:
 * signs and posts sample deliveries to local mode (see "Local mode" in README.md).
 */
import { Command, InvalidArgumentError } from 'commander';
import { pipelineConfig } from '../lib/pipeline-config';
import { fixtureNames } from './fixtures';
import { DEFAULT_LOCAL_URL, SendUsageError, sendSampleEvents } from './send-webhooks';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function catalogue(): string {
  const lines = pipelineConfig.sources.map((s) => {
    const events = fixtureNames(s.provider);
    const label = s.id === s.provider ? s.id : `${s.id} (${s.provider})`;
    return `  ${label.padEnd(28)} ${events.length ? events.join(', ') : '(no sample events)'}`;
  });
  return `Sources and their sample events:\n${lines.join('\n')}`;
}

const program = new Command('send')
  .description('Sign and post sample webhook deliveries to local mode (npm start).')
  .argument('[target]', 'source id or provider, e.g. stripe')
  .argument('[event]', "sample event name (default: the provider's first)")
  .option('--url <url>', 'base URL of local mode', DEFAULT_LOCAL_URL)
  .option('--count <n>', 'how many distinct events to send', positiveInt, 1)
  .option('--duplicate', 'send every event twice, as a provider retry would', false)
  .option('--list', 'list sources and their sample events')
  .addHelpText('after', () => `\n${catalogue()}`)
  .action(async (target: string | undefined, event: string | undefined, opts) => {
    if (opts.list || !target) {
      console.log(catalogue());
      if (!target && !opts.list)
        console.log('\nUsage: npm run send -- <source|provider> [event] [--count n] [--duplicate]');
      return;
    }
    const sent = await sendSampleEvents({
      target,
      ...(event ? { event } : {}),
      baseUrl: opts.url,
      count: opts.count,
      duplicate: opts.duplicate,
      onSent: (s) => {
        const tag = s.duplicate ? ' (duplicate)' : '';
        console.log(`POST ${s.url} ${s.event}${tag} → ${s.status} ${s.responseBody}`);
      },
    });
    const failed = sent.filter((s) => s.status >= 300);
    if (failed.length) {
      console.error(`${failed.length} of ${sent.length} request(s) were not accepted.`);
      process.exitCode = 1;
    }
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof SendUsageError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
