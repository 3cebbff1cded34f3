/**
 * `npm start [-- --port 3000 --cdp-port 4010 --persist]`: runs the whole pipeline locally (see
 * local/pipeline.ts and "Local mode" in README.md) until Ctrl-C.
 */
import { relative } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { cliEnvBlock } from './cli-env';
import { PrerequisiteError } from './emulators';
import { LocalSecretsError } from './local-secrets';
import { LocalConfigError, type LocalPipeline, PERSIST_DIR, startLocalPipeline } from './pipeline';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError('must be a port number (0–65535)');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number ≥ 1');
  return n;
}

const options = new Command('start')
  .description('Run the webhook pipeline locally with real AWS emulators.')
  .option('--port <port>', 'port of the webhook endpoint (0 = any free port)', port, 3000)
  .option('--cdp-port <port>', 'port of the CDP stand-in (0 = any free port)', port, 4010)
  .option(
    '--max-receive-count <n>',
    'receives before SQS moves a failing event to the DLQ (default: lib/pipeline-config.ts, else 5)',
    positiveInt,
  )
  .option(
    '--persist',
    `keep DynamoDB data (dedupe records) across runs in ${relative(process.cwd(), PERSIST_DIR)}`,
  )
  .parse(process.argv)
  .opts<{ port: number; cdpPort: number; maxReceiveCount?: number; persist?: boolean }>();

function banner(p: LocalPipeline): string {
  const width = Math.max(...p.sources.map((s) => `${s.id} (${s.provider})`.length));
  const sources = p.sources
    .map((s) => `  ${`${s.id} (${s.provider})`.padEnd(width)}  ${p.sourceUrls[s.id]}`)
    .join('\n');
  const admin = `${p.cdp.url}/_admin`;
  const secrets = relative(process.cwd(), p.secrets.path);
  return `
Local mode is running.

Webhook endpoints (POST, signed with the secrets in ${secrets}):
${sources}

CDP stand-in: ${p.cdp.url}  (records API: POST /records/{object}/upsert|append)
  what arrived:   curl -s ${admin}/records
  every request:  curl -s ${admin}/requests
  effects by Idempotency-Key: curl -s ${admin}/effects
  break the CDP:  curl -s -X POST ${admin}/faults -d '{"outage":true}'   (heal: -d '{}')
                  rates too: {"status5xxRate":0.3,"status429Rate":0.1,"timeoutRate":0.05,"status422Rate":0.01}

Queue: ${p.resources.queueUrl}
  visibility ${p.definitions.queue.visibilityTimeoutSeconds} s, to the DLQ after ${p.definitions.deadLetterQueue.maxReceiveCount} receives, batches of up to ${p.definitions.eventSourceMapping.batchSize}
DLQ:   ${p.resources.dlqUrl}
  peek (nothing is consumed): curl -s ${p.emulators.fauxqsEndpoint}/_fauxqs/queues/${p.definitions.deadLetterQueue.localName}
State table: ${p.resources.tableName} (DynamoDB Local ${p.emulators.dynamodbEndpoint})
Claim-check bucket: ${p.resources.bucketName} (fauxqs S3 ${p.emulators.fauxqsEndpoint})

Send a signed sample event from another terminal:
  npm run send -- stripe                  (then: curl -s ${admin}/records)
  npm run send -- stripe --duplicate      (the second delivery has no effect)
  npm run send -- --list                  (every source's sample events)
${p.url === 'http://localhost:3000' ? '' : `  add --url ${p.url} to each send command\n`}
Point the webhooks CLI (and the AWS CLI) at local mode: paste into the other terminal
${cliEnvBlock({ emulators: p.emulators, queueUrl: p.resources.queueUrl, dlqUrl: p.resources.dlqUrl, tableName: p.resources.tableName })}
then e.g.:  npm run webhooks -- dlq list        npm run webhooks -- events get stripe <eventId>
            aws sqs get-queue-attributes --queue-url "$WEBHOOKS_QUEUE_URL" --attribute-names All

Ctrl-C stops everything.`;
}

let pipeline: LocalPipeline | undefined;
let stopping = false;
let firstSignalAt = 0;

async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    // Ctrl-C reaches this process twice (from the terminal's process group and relayed by tsx): only a
    // later, separate press forces the exit.
    if (Date.now() - firstSignalAt < 1000) return;
    console.log('Forced exit.');
    process.exit(130);
  }
  stopping = true;
  firstSignalAt = Date.now();
  // Still starting: the start-up path below stops what it started (no orphaned DynamoDB Local JVM).
  if (!pipeline) return console.log(`\n${signal}: stopping as soon as start-up finishes…`);
  console.log(`\n${signal}: stopping the poller, the servers and the emulators…`);
  await pipeline.stop();
  console.log('Stopped.');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGHUP', () => void shutdown('SIGHUP'));

try {
  pipeline = await startLocalPipeline({
    port: options.port,
    cdpPort: options.cdpPort,
    persist: options.persist ?? false,
    ...(options.maxReceiveCount ? { queue: { maxReceiveCount: options.maxReceiveCount } } : {}),
  });
} catch (error) {
  // Ctrl-C during start-up also stops DynamoDB Local (same process group), which fails the start: not an error.
  if (stopping) {
    console.log('Stopped.');
    process.exit(0);
  }
  const known =
    error instanceof PrerequisiteError ||
    error instanceof LocalConfigError ||
    error instanceof LocalSecretsError;
  console.error(known ? `\n${(error as Error).message}` : error);
  process.exit(1);
}
if (stopping) {
  await pipeline.stop();
  process.exit(0);
}
if (pipeline.secrets.created) {
  console.log(
    `Created ${relative(process.cwd(), pipeline.secrets.path)} from local/secrets.example.json (git-ignored; edit it to change local secrets).`,
  );
}
if (pipeline.secrets.addedSources.length) {
  console.log(`Generated local secrets for new source(s): ${pipeline.secrets.addedSources.join(', ')}.`);
}
console.log(banner(pipeline));
