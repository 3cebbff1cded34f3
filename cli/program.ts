/**
 * The `webhooks` command line: commander wiring over the DLQ, events and replay modules. Everything the
 * commands touch (clients, terminal, environment, clock) comes in through {@link CliDeps}, so tests run the
 * real commands in-process against the emulators.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { ListMessageMoveTasksCommand } from '@aws-sdk/client-sqs';
import { Command, CommanderError } from 'commander';
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
import { getEventRecord } from './events';
import {
  formatDuration,
  parseDuration,
  parsePositiveInteger,
  parsePositiveNumber,
  renderCounts,
  renderTable,
  UsageError,
} from './format';
import type { Clock } from './rate-limit';
import {
  type ResourceOptions,
  type Resources,
  requireResource,
  resolveResources,
  stackResources,
} from './resources';
import { ConfirmationError, confirm, startProgress, type Terminal } from './terminal';

export interface CliDeps {
  readonly clients: CliClients;
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

/** Mutable run state: commands that partly fail set a non-zero exit code without throwing. */
interface RunState {
  exitCode: number;
}

/** Builds the program; `runCli` parses and maps errors to exit codes. */
export function buildProgram(deps: CliDeps, state: RunState = { exitCode: 0 }): Command {
  const { terminal, clients } = deps;
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

  const program = new Command('webhooks')
    .description(
      'On-call tooling for the webhook pipeline: inspect, redrive, purge and replay failed events.',
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => terminal.out(s), writeErr: (s) => terminal.err(s) })
    .showHelpAfterError();

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
    .option('--dry-run', 'print what would move and move nothing')
    .option('--yes', 'do not ask for confirmation')
    .action(
      async (
        options: CommonOptions &
          FilterOptions & { rate: number; max?: number; dryRun?: boolean; yes?: boolean },
      ) => {
        const found = await resources(options);
        const dlqUrl = requireResource(found, 'dlqUrl');
        const queueUrl = requireResource(found, 'queueUrl');
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
            lines.push(
              `Dry run: would move ${result.moved.length} of ${result.scanned} scanned; nothing was moved.`,
            );
            if (result.moved.length) lines.push(summaryTable(result.moved));
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
        throw new UsageError(
          'This SQS endpoint does not support message move tasks (redrive there moves messages directly).',
        );
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
    .description('the dedupe record of one event (state, attempts, times, applied operations, last error)')
    .argument('<sourceId>', 'source id from the pipeline configuration')
    .argument('<eventId>', 'provider event id (or sha256:<hex> for sources without ids)')
    .action(async (sourceId: string, eventId: string, options: CommonOptions) => {
      const tableName = requireResource(await resources(options), 'tableName');
      const lookup = await getEventRecord(clients.dynamo(), tableName, sourceId, eventId, now());
      print(options.json, lookup, () => {
        if (!lookup.found) {
          return `No dedupe record for ${lookup.dedupeKey}: the pipeline has not processed this event (or its record expired and was deleted).`;
        }
        const r = lookup.record;
        return [
          `Dedupe key: ${lookup.dedupeKey}`,
          `Status:     ${r.status}${lookup.expired ? ' (EXPIRED: no longer protects against re-delivery)' : ''}`,
          `Attempts:   ${r.attempts}`,
          `First seen: ${r.firstSeenAt}`,
          `Updated:    ${r.updatedAt}`,
          ...(r.completedAt ? [`Completed:  ${r.completedAt}`] : []),
          ...(r.leaseExpiresAtMs !== undefined
            ? [`Lease until: ${new Date(r.leaseExpiresAtMs).toISOString()}`]
            : []),
          `Expires:    ${new Date(r.expiresAt * 1000).toISOString()}`,
          `Applied:    ${r.appliedOperations?.length ? r.appliedOperations.join(', ') : 'none'}`,
          ...(r.lastError ? [`Last error: ${r.lastError}`] : []),
        ].join('\n');
      });
    });

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
    if (error instanceof ConfirmationError) {
      deps.terminal.err(error.message);
      return 2;
    }
    if (error instanceof UsageError) {
      deps.terminal.err(`error: ${error.message}`);
      return 1;
    }
    deps.terminal.err(`error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    return 1;
  }
}
