/**
 * The `webhooks` command line: commander wiring over the DLQ, events and replay modules. Everything the
 * commands touch (clients, terminal, environment, clock) comes in through {@link CliDeps}, so tests run the
 * real commands in-process against the emulators.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { ListMessageMoveTasksCommand } from '@aws-sdk/client-sqs';
import { Command, CommanderError } from 'commander';
import type { ClientSettings } from '../lambdas/shared/aws-clients';
import { postDelivery, SendUsageError } from '../local/send-webhooks';
import { type AwsContext, explainAwsError } from './aws-errors';
import type { CliClients } from './clients';
import {
  DEFAULT_RATE,
  dlqStats,
  findMessage,
  isUnsupportedActionError,
  listMessages,
  parseExport,
  peekMessages,
  purge,
  queueArn,
  queueDepth,
  readEventBody,
  redrive,
  replay,
  toExportRecord,
} from './dlq';
import { isFiltered, type MessageFilter, type MessageSummary, summarize } from './dlq-message';
import { type EventLookup, type EventState, eventState, getDedupeRecord, getEventRecord } from './events';
import {
  formatDuration,
  parseDuration,
  parsePositiveInteger,
  parsePositiveNumber,
  renderCounts,
  renderTable,
  UsageError,
} from './format';
import { type Clock, systemClock } from './rate-limit';
import {
  assertPairedQueues,
  CLI_ENV,
  type ResourceOptions,
  type Resources,
  requireResource,
  resolveResources,
  stackResources,
} from './resources';
import { explicitTarget, receiptEventIds, signSample, targetFromStack } from './send';
import { ConfirmationError, confirm, startProgress, type Terminal } from './terminal';

export interface CliDeps {
  /**
   * The AWS clients, or how to make them from `--region`/`--profile` (bin/webhooks-cli.ts passes
   * `defaultClients`); made once, after the command line is parsed.
   */
  readonly clients: CliClients | ((settings: ClientSettings) => CliClients);
  readonly terminal: Terminal;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now?: () => number;
  /** Pacing clock for redrive and replay. */
  readonly clock?: Clock;
}

interface CommonOptions extends ResourceOptions {
  readonly json?: boolean;
}

interface FilterOptions {
  readonly source?: string;
  readonly eventType?: string;
  readonly reason?: string;
  readonly olderThan?: number;
  readonly newerThan?: number;
}

function withResourceOptions(command: Command): Command {
  return command
    .option('--stack <name>', 'read resources from this CloudFormation stack (env WEBHOOKS_STACK)')
    .option('--queue-url <url>', 'main queue URL (env WEBHOOKS_QUEUE_URL)')
    .option('--dlq-url <url>', 'dead-letter queue URL (env WEBHOOKS_DLQ_URL)')
    .option('--table <name>', 'state table name (env WEBHOOKS_TABLE)')
    .option('--json', 'print machine-readable JSON on stdout');
}

function withFilterOptions(command: Command): Command {
  return command
    .option('--source <sourceId>', 'only messages from this source')
    .option('--event-type <type>', 'only this event type')
    .option('--reason <reason>', 'only this failure reason (e.g. cdp_rejected, max_receive_count_exceeded)')
    .option(
      '--older-than <duration>',
      'only messages first sent at least this long ago (30m, 2h, 1d)',
      parseDuration,
    )
    .option('--newer-than <duration>', 'only messages first sent at most this long ago', parseDuration);
}

function filterFrom(options: FilterOptions): MessageFilter {
  return {
    ...(options.source !== undefined ? { source: options.source } : {}),
    ...(options.eventType !== undefined ? { eventType: options.eventType } : {}),
    ...(options.reason !== undefined ? { reason: options.reason } : {}),
    ...(options.olderThan !== undefined ? { olderThanMs: options.olderThan } : {}),
    ...(options.newerThan !== undefined ? { newerThanMs: options.newerThan } : {}),
  };
}

function describeFilter(filter: MessageFilter): string {
  const parts = [
    filter.source !== undefined ? `source=${filter.source}` : undefined,
    filter.eventType !== undefined ? `eventType=${filter.eventType}` : undefined,
    filter.reason !== undefined ? `reason=${filter.reason}` : undefined,
    filter.olderThanMs !== undefined ? `older than ${formatDuration(filter.olderThanMs)}` : undefined,
    filter.newerThanMs !== undefined ? `newer than ${formatDuration(filter.newerThanMs)}` : undefined,
  ].filter((p): p is string => p !== undefined);
  return parts.length ? parts.join(', ') : 'all messages';
}

function queueName(url: string): string {
  return url.split('/').filter(Boolean).pop() ?? url;
}

function summaryTable(messages: readonly MessageSummary[]): string {
  return renderTable(
    ['messageId', 'age', 'source', 'eventType', 'reason', 'attempts', 'dedupeKey'],
    messages.map((m) => [
      m.messageId,
      m.ageMs !== undefined ? formatDuration(m.ageMs) : '?',
      m.sourceId,
      m.eventType,
      m.status !== undefined ? `${m.reason} (${m.status})` : m.reason,
      // SQS's receive count also counts this tool's peeks, so it is no measure of delivery attempts.
      m.attempts !== undefined ? String(m.attempts) : '-',
      m.dedupeKey,
    ]),
  );
}

function textOrBase64(bytes: Buffer): { body: string } | { bodyBase64: string } {
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? { body: text } : { bodyBase64: bytes.toString('base64') };
}

/**
 * The package's version: the nearest package.json with a version above this module (cli/ in a checkout,
 * the compiled copy's folder in an installed package).
 */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
      if (typeof version === 'string') return version;
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

interface GlobalOptions {
  readonly region?: string;
  readonly profile?: string;
  readonly debug?: boolean;
}

function clientSettings(options: GlobalOptions): ClientSettings {
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
  };
}

const PROGRAM_EXAMPLES = `
Resources come from ONE place: a deployed stack (--stack or WEBHOOKS_STACK: every queue, table and URL from
its outputs), or an explicit set (--queue-url, --dlq-url, --table or WEBHOOKS_QUEUE_URL, WEBHOOKS_DLQ_URL,
WEBHOOKS_TABLE). Naming both is refused. Credentials and region: --profile/--region, else the usual AWS
configuration (AWS_PROFILE, AWS_REGION, ~/.aws).

Examples:
  $ webhooks --profile prod --region eu-west-1 dlq stats --stack WebhookPipeline
  $ export AWS_PROFILE=prod AWS_REGION=eu-west-1 WEBHOOKS_STACK=WebhookPipeline
  $ webhooks dlq list --reason cdp_rejected --older-than 1h
  $ webhooks dlq redrive --source stripe --dry-run
  $ webhooks events get stripe evt_1NG8Du2eZvKYlo2CUI79vXWy
  $ webhooks send stripe --stack WebhookPipeline        # signed sample to the deployed URL, then its record
  $ webhooks dlq stats --dlq-url <the DLQ URL npm start prints>      # local mode (AWS_ENDPOINT_URL_* set)
`;

const EXAMPLES = {
  redrive: `
Examples:
  $ webhooks dlq redrive --stack WebhookPipeline --dry-run --json | jq '.wouldMove | length'
  $ webhooks dlq redrive --stack WebhookPipeline --reason cdp_rejected --rate 5 --yes
  $ webhooks dlq redrive --queue-url <main queue URL> --dlq-url <its DLQ URL>   # checked: the DLQ must be the queue's
`,
  eventsGet: `
Examples:
  $ webhooks events get stripe evt_1NG8Du2eZvKYlo2CUI79vXWy --stack WebhookPipeline
  $ webhooks events get shop-a sha256:3f0a… --table webhook-pipeline-state --dlq-url <DLQ URL> --json

A record that is not COMPLETED is looked up in the DLQ (when the DLQ is known) to tell "dead-lettered"
from "waiting for a retry".
`,
  send: `
Examples:
  $ webhooks send stripe --stack WebhookPipeline
  $ webhooks send stripe customer.subscription.updated --stack WebhookPipeline --wait 60s
  $ webhooks send stripe --url http://localhost:3000/webhooks/stripe --table webhook-pipeline-state \\
      --secret-id webhook-pipeline/local/sources/stripe                      # local mode

Signs the provider's sample event with the source's newest secret from Secrets Manager, posts it to the
source's URL, prints the answer, then waits for the event's dedupe record to be COMPLETED. Exit code 0
only when every event completed in time.
`,
} as const;

interface DeadLetterCheck {
  readonly checked: boolean;
  readonly dlqUrl?: string;
  readonly message?: MessageSummary;
}

const STATE_TEXT: Readonly<Record<EventState, string>> = {
  completed: 'COMPLETED: every CDP operation was applied.',
  dead_lettered:
    'DEAD-LETTERED: the event failed and sits in the DLQ; it will not be retried until redriven.',
  in_progress: 'IN PROGRESS: a delivery holds the claim right now.',
  retrying:
    'RETRYING: not completed and not in the DLQ; it waits on the main queue for its next attempt (see Last error).',
  not_completed:
    'NOT COMPLETED: failed at least once; dead-lettered or waiting for a retry (pass --stack or --dlq-url to tell which).',
  unknown: 'UNKNOWN',
};

function renderEvent(lookup: EventLookup, state: EventState, deadLetter: DeadLetterCheck): string {
  const dlq = deadLetter.message;
  const dlqLines = dlq
    ? [
        `DLQ message: ${dlq.messageId} in ${queueName(deadLetter.dlqUrl ?? '')}, reason ${dlq.reason}${dlq.status !== undefined ? ` (HTTP ${dlq.status})` : ''}${dlq.failureMessage ? `: ${dlq.failureMessage}` : ''}`,
        `Redrive it:  webhooks dlq redrive --source ${dlq.sourceId} --reason ${dlq.reason} (after fixing the cause)`,
      ]
    : [];
  if (!lookup.found) {
    return [
      `No dedupe record for ${lookup.dedupeKey}: the pipeline has not processed this event (or its record expired and was deleted).`,
      ...(dlq ? ['State:      DEAD-LETTERED before processing (e.g. by the ingest).', ...dlqLines] : []),
    ].join('\n');
  }
  const r = lookup.record;
  return [
    `Dedupe key: ${lookup.dedupeKey}`,
    `State:      ${STATE_TEXT[state]}`,
    ...dlqLines,
    `Status:     ${r.status}${lookup.expired ? ' (EXPIRED: no longer protects against re-delivery)' : ''}`,
    `Attempts:   ${r.attempts}`,
    `First seen: ${r.firstSeenAt}`,
    `Updated:    ${r.updatedAt}`,
    ...(r.completedAt ? [`Completed:  ${r.completedAt}`] : []),
    ...(r.leaseExpiresAtMs !== undefined && state === 'in_progress'
      ? [`Lease until: ${new Date(r.leaseExpiresAtMs).toISOString()}`]
      : []),
    `Expires:    ${new Date(r.expiresAt * 1000).toISOString()}`,
    `Applied:    ${r.appliedOperations?.length ? r.appliedOperations.join(', ') : 'none'}`,
    ...(r.lastError ? [`Last error: ${r.lastError}`] : []),
  ].join('\n');
}

/** Mutable run state: commands that partly fail set a non-zero exit code without throwing. */
interface RunState {
  exitCode: number;
}

/** Builds the program; `runCli` parses and maps errors to exit codes. */
export function buildProgram(deps: CliDeps, state: RunState = { exitCode: 0 }): Command {
  const { terminal } = deps;
  let made: CliClients | undefined;
  const current = (): CliClients => {
    made ??= typeof deps.clients === 'function' ? deps.clients(clientSettings(program.opts())) : deps.clients;
    return made;
  };
  const clients: CliClients = {
    sqs: () => current().sqs(),
    s3: () => current().s3(),
    dynamo: () => current().dynamo(),
    cloudFormation: () => current().cloudFormation(),
    secretsManager: () => current().secretsManager(),
  };
  const now = deps.now ?? Date.now;
  const print = (json: boolean | undefined, value: unknown, human: () => string) =>
    terminal.out(json ? JSON.stringify(value, null, 2) : human());
  const resources = async (options: ResourceOptions): Promise<Resources> =>
    await resolveResources(options, deps.env, (stack) => stackResources(clients.cloudFormation(), stack));
  const scanProgress = async (json: boolean | undefined, label: string, url: string) => {
    const depth = json || !terminal.progressStream ? 0 : (await queueDepth(clients.sqs(), url)).visible;
    const bar = startProgress(terminal, Boolean(json), label, depth);
    return { bar, onProgress: (n: number) => bar.update(n) };
  };

  /** The DLQ message carrying an event that did not complete, if the DLQ is known. */
  const findDeadLetter = async (
    lookup: EventLookup,
    dlqUrl: string | undefined,
    json: boolean | undefined,
  ): Promise<DeadLetterCheck> => {
    if (lookup.found && lookup.record.status === 'COMPLETED') return { checked: false };
    if (!dlqUrl) return { checked: false };
    const { bar, onProgress } = await scanProgress(json, 'searching the DLQ', dlqUrl);
    const { messages } = await peekMessages(clients.sqs(), dlqUrl, {
      now,
      onProgress,
      filter: { dedupeKey: lookup.dedupeKey },
      limit: 1,
    }).finally(() => bar.stop());
    const message = messages[0];
    return { checked: true, dlqUrl, ...(message ? { message: summarize(message, now()) } : {}) };
  };

  const program = new Command('webhooks')
    .description(
      'On-call tooling for the webhook pipeline: inspect, redrive, purge and replay failed events, and smoke-test a deployment.',
    )
    .version(packageVersion(), '-V, --version', 'print the version of the webhooks CLI')
    .option('--region <region>', "AWS region (default: AWS_REGION, or the profile's region)")
    .option('--profile <name>', 'named AWS profile from ~/.aws/config (default: AWS_PROFILE)')
    .option('--debug', 'on failure, print the full error (stack trace, request id)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => terminal.out(s), writeErr: (s) => terminal.err(s) })
    .showHelpAfterError()
    .addHelpText('after', PROGRAM_EXAMPLES);

  const dlq = program.command('dlq').description('inspect and act on the dead-letter queue');

  withResourceOptions(dlq.command('stats'))
    .description('depth, oldest message age and counts by source, event type and failure reason')
    .option('--scan-limit <n>', 'inspect at most this many messages', (v) =>
      parsePositiveInteger(v, '--scan-limit'),
    )
    .action(async (options: CommonOptions & { scanLimit?: number }) => {
      const dlqUrl = requireResource(await resources(options), 'dlqUrl');
      const { bar, onProgress } = await scanProgress(options.json, 'scanning', dlqUrl);
      const stats = await dlqStats(clients.sqs(), dlqUrl, {
        now,
        onProgress,
        ...(options.scanLimit !== undefined ? { scanLimit: options.scanLimit } : {}),
      }).finally(() => bar.stop());
      print(options.json, { dlqUrl, ...stats }, () =>
        [
          `DLQ ${queueName(dlqUrl)}`,
          `Depth: ${stats.depth.total} (visible ${stats.depth.visible}, in flight ${stats.depth.inFlight}, delayed ${stats.depth.delayed})`,
          stats.oldest
            ? `Oldest: ${formatDuration(stats.oldest.ageMs)} old (sent ${stats.oldest.sentAt}, message ${stats.oldest.messageId})`
            : 'Oldest: none',
          `Scanned: ${stats.scanned}${stats.truncated ? ' (scan limit reached; counts are partial)' : ''}`,
          renderCounts('By failure reason', stats.byReason),
          renderCounts('By source', stats.bySource),
          renderCounts('By event type', stats.byEventType),
        ].join('\n'),
      );
    });

  withFilterOptions(withResourceOptions(dlq.command('list')))
    .description('peek at dead-lettered messages without consuming them (oldest first)')
    .option('--limit <n>', 'show at most this many matching messages', (v) =>
      parsePositiveInteger(v, '--limit'),
    )
    .action(async (options: CommonOptions & FilterOptions & { limit?: number }) => {
      const dlqUrl = requireResource(await resources(options), 'dlqUrl');
      const { bar, onProgress } = await scanProgress(options.json, 'scanning', dlqUrl);
      const result = await listMessages(clients.sqs(), dlqUrl, {
        now,
        onProgress,
        filter: filterFrom(options),
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
      }).finally(() => bar.stop());
      print(options.json, { dlqUrl, ...result }, () =>
        result.messages.length
          ? `${summaryTable(result.messages)}\n\n${result.messages.length} matching of ${result.scanned} scanned`
          : `No matching messages (${result.scanned} scanned).`,
      );
    });

  withResourceOptions(dlq.command('show'))
    .description('one message: envelope, failure reason, attempts and attributes (body only with --body)')
    .argument('<messageId>', 'SQS MessageId, as printed by `dlq list`')
    .option('--body', 'include the event body (decoded inline base64 or fetched from the claim-check bucket)')
    .action(async (messageId: string, options: CommonOptions & { body?: boolean }) => {
      const dlqUrl = requireResource(await resources(options), 'dlqUrl');
      const { bar, onProgress } = await scanProgress(options.json, 'searching', dlqUrl);
      const message = await findMessage(clients.sqs(), dlqUrl, messageId, { now, onProgress }).finally(() =>
        bar.stop(),
      );
      if (!message) throw new UsageError(`Message ${messageId} is not in ${queueName(dlqUrl)}`);
      const envelope = message.envelope && {
        ...message.envelope,
        body:
          message.envelope.body.kind === 'inline'
            ? { kind: 'inline', sizeBytes: Buffer.from(message.envelope.body.base64, 'base64').length }
            : message.envelope.body,
      };
      let body: { body: string } | { bodyBase64: string } | undefined;
      if (options.body) {
        body = message.envelope
          ? textOrBase64(await readEventBody(clients.s3(), message.envelope))
          : { body: message.body };
      }
      const result = {
        ...summarize(message, now()),
        failure: message.failure,
        envelope: envelope ?? null,
        envelopeValid: message.envelope !== undefined,
        attributes: message.attributes,
        ...body,
      };
      print(options.json, result, () => {
        const lines = [
          `Message:    ${message.messageId}`,
          `Source:     ${message.sourceId} (${message.envelope?.provider ?? 'unknown provider'})`,
          `Event type: ${message.eventType}`,
          `Dedupe key: ${message.dedupeKey}`,
          `Reason:     ${message.failure.reason}${message.failure.status !== undefined ? ` (HTTP ${message.failure.status})` : ''}`,
          ...(message.failure.message ? [`Detail:     ${message.failure.message}`] : []),
          message.failure.attempts !== undefined
            ? `Attempts:   ${message.failure.attempts}`
            : `Attempts:   all of maxReceiveCount (SQS receive count, including inspections: ${message.receiveCount ?? '?'})`,
          ...(message.failure.failedBy
            ? [`Failed by:  ${message.failure.failedBy} at ${message.failure.failedAt ?? '?'}`]
            : []),
          `Sent at:    ${message.sentAt ?? '?'}`,
          ...(message.envelope
            ? [
                `Received:   ${message.envelope.receivedAt}`,
                `Occurred:   ${message.envelope.occurredAt ?? '?'}`,
                `Body:       ${message.envelope.body.kind === 'inline' ? `inline, ${Buffer.from(message.envelope.body.base64, 'base64').length} bytes` : `s3://${message.envelope.body.bucket}/${message.envelope.body.key} (${message.envelope.body.sizeBytes} bytes)`}`,
                `Headers:    ${JSON.stringify(message.envelope.headers)}`,
              ]
            : ['Envelope:   not a valid queue envelope (see the raw SQS body with --body)']),
          'Attributes:',
          ...Object.entries(message.attributes).map(
            ([name, value]) =>
              `  ${name} (${value.dataType}) = ${value.stringValue ?? `<binary ${value.binaryValueBase64}>`}`,
          ),
        ];
        if (body) lines.push('', 'body' in body ? body.body : `<binary, base64> ${body.bodyBase64}`);
        return lines.join('\n');
      });
    });

  withFilterOptions(withResourceOptions(dlq.command('redrive')))
    .description(
      'put dead-lettered messages back on the main queue (unfiltered: SQS message move task; filtered: rate-limited move)',
    )
    .option('--rate <n>', 'messages per second', (v) => parsePositiveNumber(v, '--rate'), DEFAULT_RATE)
    .option('--max <n>', 'move at most this many messages', (v) => parsePositiveInteger(v, '--max'))
    .option('--dry-run', 'print what would move (JSON: wouldMove) and move nothing')
    .option('--yes', 'do not ask for confirmation')
    .addHelpText('after', EXAMPLES.redrive)
    .action(
      async (
        options: CommonOptions &
          FilterOptions & { rate: number; max?: number; dryRun?: boolean; yes?: boolean },
      ) => {
        const found = await resources(options);
        const dlqUrl = requireResource(found, 'dlqUrl');
        const queueUrl = requireResource(found, 'queueUrl');
        await assertPairedQueues(clients.sqs(), found, queueUrl, dlqUrl);
        const filter = filterFrom(options);
        if (!options.dryRun) {
          await confirm(terminal, {
            yes: Boolean(options.yes),
            action: `move ${describeFilter(filter)}${options.max !== undefined ? ` (at most ${options.max})` : ''} from ${queueName(dlqUrl)} to ${queueName(queueUrl)} at ${options.rate} msg/s`,
          });
        }
        const { bar, onProgress } = await scanProgress(
          options.json,
          options.dryRun ? 'scanning' : 'moving',
          dlqUrl,
        );
        const result = await redrive(clients.sqs(), {
          dlqUrl,
          queueUrl,
          s3: clients.s3(),
          filter,
          rate: options.rate,
          dryRun: Boolean(options.dryRun),
          now,
          onProgress,
          ...(options.max !== undefined ? { max: options.max } : {}),
          ...(deps.clock ? { clock: deps.clock } : {}),
        }).finally(() => bar.stop());
        print(options.json, result, () => {
          if (result.mode === 'native') {
            return [
              `Started SQS message move task (~${result.approximateMessages} messages, at most ${result.maxNumberOfMessagesPerSecond} msg/s).`,
              `Task handle: ${result.taskHandle}`,
              `Follow it with: webhooks dlq moves --dlq-url ${dlqUrl}`,
            ].join('\n');
          }
          const lines: string[] = [];
          if ('fallbackReason' in result && result.fallbackReason) {
            lines.push(`Note: ${result.fallbackReason}; moved messages one by one instead.`);
          }
          if (result.dryRun) {
            const wouldMove = result.wouldMove ?? [];
            lines.push(
              `Dry run: would move ${wouldMove.length} of ${result.scanned} scanned; nothing was moved.`,
            );
            if (wouldMove.length) lines.push(summaryTable(wouldMove));
          } else {
            lines.push(
              `Moved ${result.moved.length} message(s) to ${queueName(queueUrl)} (${result.scanned} scanned).`,
            );
          }
          for (const f of result.failed) lines.push(`FAILED ${f.messageId}: ${f.error} (left in the DLQ)`);
          for (const f of result.notDeleted) {
            lines.push(
              `NOT DELETED ${f.messageId}: ${f.error} (sent; a re-run re-sends it, dedupe absorbs it)`,
            );
          }
          return lines.join('\n');
        });
        if (result.mode === 'move' && result.failed.length) state.exitCode = 1;
      },
    );

  withResourceOptions(dlq.command('moves'))
    .description('recent SQS message move tasks of the DLQ (started by an unfiltered redrive)')
    .action(async (options: CommonOptions) => {
      const dlqUrl = requireResource(await resources(options), 'dlqUrl');
      const sourceArn = await queueArn(clients.sqs(), dlqUrl);
      try {
        const { Results = [] } = await clients
          .sqs()
          .send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }));
        print(options.json, { sourceArn, tasks: Results }, () =>
          Results.length
            ? renderTable(
                ['status', 'moved', 'toMove', 'rate', 'started', 'failure'],
                Results.map((t) => [
                  t.Status ?? '?',
                  String(t.ApproximateNumberOfMessagesMoved ?? 0),
                  String(t.ApproximateNumberOfMessagesToMove ?? '?'),
                  String(t.MaxNumberOfMessagesPerSecond ?? '-'),
                  t.StartedTimestamp ? new Date(t.StartedTimestamp).toISOString() : '?',
                  t.FailureReason ?? '',
                ]),
              )
            : 'No message move tasks for this DLQ.',
        );
      } catch (error) {
        if (!isUnsupportedActionError(error)) throw error;
        // Local mode's SQS emulator (fauxqs) has no message move tasks: an unfiltered redrive there moves
        // messages one by one and finishes before it returns, so there is never a task to follow.
        const note =
          "This SQS endpoint (local mode's emulator?) has no message move tasks, so there are none to list: `dlq redrive` here moves messages one by one and has finished when it returns. Check the result with `dlq stats`.";
        print(options.json, { sourceArn, supported: false, tasks: [], note }, () => note);
      }
    });

  withFilterOptions(withResourceOptions(dlq.command('purge')))
    .description('delete dead-lettered messages for good (filtered: only matching ones)')
    .option('--yes', 'do not ask for confirmation')
    .action(async (options: CommonOptions & FilterOptions & { yes?: boolean }) => {
      const dlqUrl = requireResource(await resources(options), 'dlqUrl');
      const filter = filterFrom(options);
      await confirm(terminal, {
        yes: Boolean(options.yes),
        action: `permanently delete ${describeFilter(filter)} from ${queueName(dlqUrl)}`,
        typed: queueName(dlqUrl),
      });
      const { bar, onProgress } = isFiltered(filter)
        ? await scanProgress(options.json, 'purging', dlqUrl)
        : { bar: startProgress(terminal, true, '', 0), onProgress: () => undefined };
      const result = await purge(clients.sqs(), { dlqUrl, filter, now, onProgress }).finally(() =>
        bar.stop(),
      );
      print(options.json, result, () =>
        result.mode === 'purge-queue'
          ? `Purge requested for ${queueName(dlqUrl)} (~${result.approximateMessages} messages; SQS may take up to 60 s).`
          : `Deleted ${result.deleted.length} matching message(s) of ${result.scanned} scanned.`,
      );
    });

  withFilterOptions(withResourceOptions(dlq.command('export')))
    .description(
      'save dead-lettered messages (body + attributes) to a JSON Lines file, without consuming them',
    )
    .requiredOption('--out <file>', 'file to write (JSON Lines)')
    .option('--limit <n>', 'export at most this many matching messages', (v) =>
      parsePositiveInteger(v, '--limit'),
    )
    .action(async (options: CommonOptions & FilterOptions & { out: string; limit?: number }) => {
      const dlqUrl = requireResource(await resources(options), 'dlqUrl');
      const { bar, onProgress } = await scanProgress(options.json, 'exporting', dlqUrl);
      const { messages, scanned } = await peekMessages(clients.sqs(), dlqUrl, {
        now,
        onProgress,
        filter: filterFrom(options),
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
      }).finally(() => bar.stop());
      const lines = messages.map((m) => JSON.stringify(toExportRecord(m)));
      await writeFile(options.out, lines.length ? `${lines.join('\n')}\n` : '', { mode: 0o600 });
      print(
        options.json,
        { out: options.out, exported: messages.length, scanned },
        () =>
          `Exported ${messages.length} message(s) of ${scanned} scanned to ${options.out}. The file holds event bodies: keep it private.`,
      );
    });

  const events = program.command('events').description('look up processing state');
  withResourceOptions(events.command('get'))
    .description(
      'what happened to one event: its dedupe record (state, attempts, times, applied operations, last error) and, when not completed, whether it sits in the DLQ',
    )
    .argument('<sourceId>', 'source id from the pipeline configuration')
    .argument('<eventId>', 'provider event id (or sha256:<hex> for sources without ids)')
    .option('--no-dlq-check', 'do not look for the event in the DLQ')
    .addHelpText('after', EXAMPLES.eventsGet)
    .action(async (sourceId: string, eventId: string, options: CommonOptions & { dlqCheck: boolean }) => {
      const found = await resources(options);
      const tableName = requireResource(found, 'tableName');
      const lookup = await getEventRecord(clients.dynamo(), tableName, sourceId, eventId, now());
      const deadLetter = await findDeadLetter(
        lookup,
        options.dlqCheck ? found.dlqUrl : undefined,
        options.json,
      );
      const state = eventState(
        lookup,
        deadLetter.checked ? deadLetter.message !== undefined : undefined,
        now(),
      );
      print(
        options.json,
        { ...lookup, state, dlqChecked: deadLetter.checked, deadLetter: deadLetter.message ?? null },
        () => renderEvent(lookup, state, deadLetter),
      );
    });

  program
    .command('send')
    .description(
      "smoke test: post a correctly signed sample delivery to a source's deployed URL, print the answer, then follow the event to its dedupe record",
    )
    .argument('<source>', 'source id (or provider: its first source)')
    .argument('[event]', "sample event name (default: the provider's first; see `npm run send -- --list`)")
    .option('--stack <name>', 'take the URL, secret and table from this stack (env WEBHOOKS_STACK)')
    .option(
      '--url <url>',
      "without --stack: the source's webhook URL, exactly as registered with the provider",
    )
    .option('--secret-id <id>', "without --stack: the source's Secrets Manager secret (name or ARN)")
    .option('--provider <provider>', 'without --stack: the provider, when the source id is not its name')
    .option('--table <name>', 'without --stack: state table name (env WEBHOOKS_TABLE)')
    .option('--wait <duration>', 'how long to wait for COMPLETED (30s, 2m)', '30s')
    .option('--json', 'print machine-readable JSON on stdout')
    .addHelpText('after', EXAMPLES.send)
    .action(
      async (
        sourceArg: string,
        event: string | undefined,
        options: {
          stack?: string;
          url?: string;
          secretId?: string;
          provider?: string;
          table?: string;
          wait: string;
          json?: boolean;
        },
      ) => {
        const explicit = {
          ...(options.url ? { url: options.url } : {}),
          ...(options.secretId ? { secretId: options.secretId } : {}),
          ...(options.provider ? { provider: options.provider } : {}),
        };
        const waitMs = parseDuration(options.wait);
        const stackFrom = options.stack ? '--stack' : CLI_ENV.stack;
        const stackName = options.stack ?? deps.env[CLI_ENV.stack];
        if (stackName && Object.keys(explicit).length) {
          throw new UsageError(
            `${stackFrom} ${stackName} and ${Object.keys(explicit)
              .map((k) => `--${k.replace('secretId', 'secret-id')}`)
              .join(', ')} both name the target: take it from the stack, or give it all explicitly.`,
          );
        }
        const found = await resources({
          ...(stackName ? { stack: stackName } : {}),
          ...(options.table ? { table: options.table } : {}),
        });
        const target = found.stack
          ? await targetFromStack(clients.cloudFormation(), found, sourceArg)
          : explicitTarget(sourceArg, explicit);
        const { event: eventName, delivery } = await signSample(
          clients.secretsManager(),
          target,
          event,
          now(),
        );
        let answer: { status: number; body: string };
        try {
          answer = await postDelivery(delivery);
        } catch (error) {
          const cause = (error as { cause?: { code?: string } }).cause?.code;
          throw new UsageError(
            `POST ${delivery.url} failed (${cause ?? (error as Error).message})${cause === 'ECONNREFUSED' ? ': is local mode running (npm start)?' : ''}`,
          );
        }
        const accepted = answer.status >= 200 && answer.status < 300;
        if (!options.json) {
          terminal.out(`POST ${delivery.url} (${target.sourceId}, ${target.provider} sample ${eventName})`);
          terminal.out(`→ ${answer.status} ${answer.body}`);
        }
        const receipt = receiptEventIds(answer.body);
        const records: EventLookup[] = [];
        if (accepted && found.tableName) {
          const tableName = found.tableName;
          const clock = deps.clock ?? systemClock;
          for (const dedupeKey of receipt.eventIds) {
            const deadline = now() + waitMs;
            let lookup = await getDedupeRecord(clients.dynamo(), tableName, dedupeKey, now());
            while (!(lookup.found && lookup.record.status === 'COMPLETED') && now() < deadline) {
              await clock.sleep(500);
              lookup = await getDedupeRecord(clients.dynamo(), tableName, dedupeKey, now());
            }
            records.push(lookup);
          }
        }
        const completed = records.filter((r) => r.found && r.record.status === 'COMPLETED').length;
        const ok =
          accepted &&
          !receipt.deadLettered &&
          (found.tableName === undefined || completed === receipt.eventIds.length);
        if (!ok) state.exitCode = 1;
        if (options.json) {
          terminal.out(
            JSON.stringify(
              {
                sourceId: target.sourceId,
                provider: target.provider,
                event: eventName,
                url: delivery.url,
                status: answer.status,
                response: answer.body,
                records,
                ok,
              },
              null,
              2,
            ),
          );
          return;
        }
        if (!accepted) {
          terminal.err(
            `The pipeline did not accept the sample (HTTP ${answer.status}): see the answer above.`,
          );
          return;
        }
        if (receipt.deadLettered)
          terminal.err('The ingest dead-lettered the sample as unusable (see `dlq list`).');
        if (!found.tableName) {
          terminal.err(
            'No state table known (pass --table or --stack) to follow the event to its dedupe record.',
          );
          return;
        }
        for (const lookup of records) {
          terminal.out('');
          terminal.out(renderEvent(lookup, eventState(lookup, undefined, now()), { checked: false }));
        }
        if (completed < records.length) {
          terminal.err(
            `${records.length - completed} event(s) not COMPLETED within ${formatDuration(waitMs)}: look with \`webhooks events get\` and \`dlq list\`.`,
          );
        }
      },
    );

  withFilterOptions(withResourceOptions(program.command('replay')))
    .description('re-inject messages saved by `dlq export` into the main queue, keeping their dedupe keys')
    .requiredOption('--from <file>', 'export file (JSON Lines) written by `dlq export`')
    .option('--rate <n>', 'messages per second', (v) => parsePositiveNumber(v, '--rate'), DEFAULT_RATE)
    .option('--dry-run', 'print what would be sent and send nothing')
    .option(
      '--allow-reapply',
      'send events whose dedupe record is gone (only for events known never to have been applied)',
    )
    .option('--yes', 'do not ask for confirmation')
    .action(
      async (
        options: CommonOptions &
          FilterOptions & {
            from: string;
            rate: number;
            dryRun?: boolean;
            yes?: boolean;
            allowReapply?: boolean;
          },
      ) => {
        const found = await resources(options);
        const queueUrl = requireResource(found, 'queueUrl');
        // Each event's dedupe record decides whether it may go back: without it, a replay could apply an
        // event twice. Only --allow-reapply replays without looking.
        const tableName = options.allowReapply ? found.tableName : requireResource(found, 'tableName');
        const messages = parseExport(await readFile(options.from, 'utf8'));
        const filter = filterFrom(options);
        if (!options.dryRun) {
          await confirm(terminal, {
            yes: Boolean(options.yes),
            action: `send ${describeFilter(filter)} of ${messages.length} exported message(s) to ${queueName(queueUrl)} at ${options.rate} msg/s`,
          });
        }
        const bar = startProgress(
          terminal,
          Boolean(options.json) || Boolean(options.dryRun),
          'replaying',
          messages.length,
        );
        const result = await replay(clients.sqs(), {
          queueUrl,
          messages,
          filter,
          rate: options.rate,
          dryRun: Boolean(options.dryRun),
          now,
          onSent: (n) => bar.update(n),
          s3: clients.s3(),
          allowReapply: Boolean(options.allowReapply),
          ...(tableName !== undefined ? { dedupe: { doc: clients.dynamo(), tableName } } : {}),
          ...(deps.clock ? { clock: deps.clock } : {}),
        }).finally(() => bar.stop());
        print(options.json, result, () =>
          [
            result.dryRun
              ? `Dry run: would send ${result.sent.length} of ${result.total} exported message(s); nothing was sent.`
              : `Sent ${result.sent.length} of ${result.total} exported message(s) to ${queueName(queueUrl)}.`,
            ...(result.dryRun && result.sent.length ? [summaryTable(result.sent)] : []),
            ...result.refused.map((r) => `REFUSED ${r.messageId} (${r.dedupeKey}): ${r.reason}: ${r.detail}`),
            ...result.failed.map((f) => `FAILED ${f.messageId}: ${f.error}`),
          ].join('\n'),
        );
        const unsafe = result.refused.filter((r) => r.reason !== 'already_completed');
        if (result.failed.length || unsafe.length) state.exitCode = 1;
      },
    );

  return program;
}

/** Runs the CLI with `args` (without node and script); returns the exit code instead of exiting. */
export async function runCli(args: readonly string[], deps: CliDeps): Promise<number> {
  const state: RunState = { exitCode: 0 };
  const program = buildProgram(deps, state);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    const options = program.opts<GlobalOptions>();
    if (options.debug && error instanceof Error) deps.terminal.err(inspect(error, { depth: 6 }));
    if (error instanceof ConfirmationError) {
      deps.terminal.err(error.message);
      return 2;
    }
    if (error instanceof UsageError || error instanceof SendUsageError) {
      deps.terminal.err(`error: ${error.message}`);
      return 1;
    }
    const aws: AwsContext = {
      ...((options.profile ?? deps.env.AWS_PROFILE)
        ? { profile: options.profile ?? deps.env.AWS_PROFILE }
        : {}),
      ...((options.region ?? deps.env.AWS_REGION ?? deps.env.AWS_DEFAULT_REGION)
        ? { region: options.region ?? deps.env.AWS_REGION ?? deps.env.AWS_DEFAULT_REGION }
        : {}),
    };
    const friendly = explainAwsError(error, aws);
    if (friendly) {
      deps.terminal.err(`error: ${friendly.message}`);
      deps.terminal.err(`hint: ${friendly.hint}`);
      if (!options.debug) deps.terminal.err('(run with --debug for the full error)');
      return 1;
    }
    deps.terminal.err(`error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    if (!options.debug) deps.terminal.err('(run with --debug for the full error)');
    return 1;
  }
}
