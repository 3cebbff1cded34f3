/**
 * An SQS poller that behaves like Lambda's SQS event source mapping, so local mode, the end-to-end
 * tests and the chaos/drill scripts run the real processor handler the way AWS would:
 *
 * - long polling, up to `batchSize` records per invocation, gathered for at most the batching window
 *   (a window of 0 invokes as soon as a receive returns anything);
 * - records in Lambda's shape (`attributes` incl. `ApproximateReceiveCount`, `messageAttributes` with
 *   `stringValue`/`binaryValue`/list fields, `eventSourceARN`, …) and a context whose
 *   `getRemainingTimeInMillis` counts down from the function timeout;
 * - partial batch responses (`ReportBatchItemFailures`): only successes are deleted; a throw, a timeout or
 *   an invalid `batchItemFailures` fails the whole batch;
 * - failed records are left alone: they reappear after the queue's visibility timeout, and the queue's
 *   own redrive policy moves them to the DLQ after `maxReceiveCount` receives (done by SQS, not here).
 *
 * Deliberate differences: several "function instances" share one process, so a handler that overruns its
 * timeout keeps running in the background (Lambda would freeze it); its records are still treated as
 * failed, as Lambda does. On stop, records received but not yet handed to the handler are made visible
 * again at once, instead of waiting out the visibility timeout.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type {
  Context,
  SQSBatchResponse,
  SQSEvent,
  SQSMessageAttributes,
  SQSRecord,
  SQSRecordAttributes,
} from 'aws-lambda';
import { QUEUE_DEFAULTS } from '../lambdas/shared/schema';

/** The processor's handler signature (Lambda's `SQSHandler` without the legacy callback). */
export type SqsBatchHandler = (
  event: SQSEvent,
  context: Context,
) => Promise<SQSBatchResponse | undefined | null>;

export interface StopOptions {
  /**
   * Abort long polls in flight (fast). An aborted long poll is only abandoned by the client: the emulator
   * still completes it, and a message arriving meanwhile is received by nobody and stays invisible for the
   * visibility timeout. Pass `false` when the queue outlives this poller (shared emulators): stop then waits
   * for the polls to return, up to the long-poll wait, and makes what they received visible again.
   * @default true
   */
  readonly abortInFlightPolls?: boolean;
}

export interface SqsPollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly handler: SqsBatchHandler;
  /** `eventSourceARN` of the records; read from the queue's `QueueArn` attribute when unset. */
  readonly queueArn?: string;
  /** Largest batch per invocation. @default QUEUE_DEFAULTS.batchSize */
  readonly batchSize?: number;
  /** How long to keep gathering records once the first one arrived. @default QUEUE_DEFAULTS.maxBatchingWindowSeconds × 1000 */
  readonly maxBatchingWindowMs?: number;
  /** The function timeout: the context's countdown, and after it the batch counts as failed. @default QUEUE_DEFAULTS.processorTimeoutSeconds × 1000 */
  readonly functionTimeoutMs?: number;
  /** Concurrent invocations (one poll loop each), like the mapping's `MaximumConcurrency`. @default QUEUE_DEFAULTS.maxConcurrency */
  readonly maxConcurrency?: number;
  /** Honour `batchItemFailures` (the stack enables `ReportBatchItemFailures`). @default true */
  readonly reportBatchItemFailures?: boolean;
  /** Long-poll wait per receive, 0–20 seconds. @default 20 */
  readonly waitTimeSeconds?: number;
  /** Shown in the context (`functionName`, `invokedFunctionArn`, log group). @default 'processor' */
  readonly functionName?: string;
  /** `awsRegion` of the records. @default process.env.AWS_REGION ?? 'us-east-1' */
  readonly region?: string;
  /** Called after every invocation with what happened to each record. */
  readonly onBatch?: (outcome: BatchOutcome) => void;
  /** Called when receiving or deleting fails (the poller backs off and carries on). */
  readonly onError?: (error: unknown) => void;
}

/** What one invocation did. */
export interface BatchOutcome {
  readonly messageIds: readonly string[];
  /** Deleted from the queue. */
  readonly succeeded: readonly string[];
  /** Left on the queue for another attempt after the visibility timeout (or the DLQ). */
  readonly failed: readonly string[];
  /** Why the whole batch failed (handler threw, timed out, invalid response), when it did. */
  readonly batchError?: string;
  readonly durationMs: number;
}

export interface PollerStats {
  readonly invocations: number;
  readonly received: number;
  readonly deleted: number;
  readonly failed: number;
}

export interface SqsPoller {
  readonly queueArn: string;
  stats(): PollerStats;
  /**
   * Stops polling. In-flight invocations get `graceMs` to finish (and their successes are deleted);
   * after that the promise resolves regardless. @default graceMs 5000
   */
  stop(graceMs?: number, options?: StopOptions): Promise<void>;
}

const LOCAL_ACCOUNT = '000000000000';

/** Converts one received message to the record Lambda would deliver. */
export function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const system = message.Attributes ?? {};
  const attributes: SQSRecordAttributes = {
    ApproximateReceiveCount: system.ApproximateReceiveCount ?? '1',
    SentTimestamp: system.SentTimestamp ?? String(Date.now()),
    SenderId: system.SenderId ?? LOCAL_ACCOUNT,
    ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  };
  for (const name of [
    'AWSTraceHeader',
    'SequenceNumber',
    'MessageGroupId',
    'MessageDeduplicationId',
    'DeadLetterQueueSourceArn',
  ] as const) {
    const value = system[name];
    if (value !== undefined) attributes[name] = value;
  }
  const record: SQSRecord = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes,
    messageAttributes: toLambdaMessageAttributes(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
  if (message.MD5OfMessageAttributes) record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

/** Lambda's camel-cased attribute shape: binary values base64, list fields always present. */
function toLambdaMessageAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const result: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    result[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined
        ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }
        : {}),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
      dataType: value.DataType ?? 'String',
    };
  }
  return result;
}

/** A Lambda-like context whose remaining time counts down from `timeoutMs`. */
export function createLambdaContext(functionName: string, region: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const legacyCallback = () => {
    throw new Error('Legacy context callbacks are unavailable: return a promise from the handler');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: legacyCallback,
    fail: legacyCallback,
    succeed: legacyCallback,
  };
}

export type BatchVerdict = { readonly failed: ReadonlySet<string> } | { readonly invalid: string };

/**
 * Interprets a handler's return value the way the event source mapping does: nothing, null, `{}` or an
 * empty/null `batchItemFailures` is full success; an item whose `itemIdentifier` is missing, empty or
 * not in the batch makes the whole batch a failure.
 */
export function interpretBatchResponse(response: unknown, messageIds: readonly string[]): BatchVerdict {
  if (response === undefined || response === null) return { failed: new Set() };
  if (typeof response !== 'object' || Array.isArray(response)) {
    return { invalid: 'handler returned something other than an object' };
  }
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { failed: new Set() };
  if (!Array.isArray(failures)) return { invalid: 'batchItemFailures is not an array' };
  const known = new Set(messageIds);
  const failed = new Set<string>();
  for (const item of failures) {
    const id = (item as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '')
      return { invalid: 'a batchItemFailures entry has no itemIdentifier' };
    if (!known.has(id)) return { invalid: `batchItemFailures names ${id}, which is not in the batch` };
    failed.add(id);
  }
  return { failed };
}

class FunctionTimeoutError extends Error {
  override readonly name = 'FunctionTimeoutError';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isAbort(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'AbortError';
}

/** Starts polling at once; see the module comment for the behaviour. */
export async function startSqsPoller(options: SqsPollerOptions): Promise<SqsPoller> {
  const { sqs, queueUrl, handler } = options;
  const batchSize = options.batchSize ?? QUEUE_DEFAULTS.batchSize;
  const windowMs = options.maxBatchingWindowMs ?? QUEUE_DEFAULTS.maxBatchingWindowSeconds * 1000;
  const timeoutMs = options.functionTimeoutMs ?? QUEUE_DEFAULTS.processorTimeoutSeconds * 1000;
  const concurrency = options.maxConcurrency ?? QUEUE_DEFAULTS.maxConcurrency;
  const reportFailures = options.reportBatchItemFailures ?? true;
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  const functionName = options.functionName ?? 'processor';
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const onError = options.onError ?? (() => {});
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('batchSize must be a positive integer');
  if (batchSize > 10 && windowMs <= 0) {
    // The same rule CreateEventSourceMapping enforces for standard queues.
    throw new Error('batchSize above 10 needs a batching window (maxBatchingWindowMs > 0)');
  }
  if (waitTimeSeconds < 0 || waitTimeSeconds > 20) throw new Error('waitTimeSeconds must be 0–20');

  const queueArn =
    options.queueArn ??
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })))
      .Attributes?.QueueArn;
  if (!queueArn) throw new Error(`Queue ${queueUrl} reported no QueueArn`);

  const stats = { invocations: 0, received: 0, deleted: 0, failed: 0 };
  const abort = new AbortController();
  let stopping = false;

  async function receive(max: number, waitSeconds: number): Promise<Message[]> {
    const result = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: abort.signal },
    );
    const messages = result.Messages ?? [];
    stats.received += messages.length;
    return messages;
  }

  /** Gathers one batch: waits for a first record, then fills up until the size or the window is reached. */
  async function gather(): Promise<Message[]> {
    const batch: Message[] = [];
    let windowEnds: number | undefined;
    while (!stopping && batch.length < batchSize) {
      let wait = waitTimeSeconds;
      if (windowEnds !== undefined) {
        const left = windowEnds - Date.now();
        if (left <= 0) break;
        wait = Math.min(waitTimeSeconds, Math.floor(left / 1000));
      }
      let messages: Message[];
      try {
        messages = await receive(batchSize - batch.length, wait);
      } catch (error) {
        // Records already held are not dropped: they are invoked (or released when stopping).
        if (batch.length === 0) throw error;
        if (!isAbort(error)) onError(error);
        break;
      }
      batch.push(...messages);
      if (batch.length > 0 && windowMs <= 0) break;
      if (batch.length > 0 && windowEnds === undefined) windowEnds = Date.now() + windowMs;
      // A sub-second remainder of the window is spent short-polling rather than overshooting it.
      if (messages.length === 0 && windowEnds !== undefined)
        await sleep(Math.min(50, windowEnds - Date.now()));
    }
    return batch;
  }

  async function invoke(messages: Message[]): Promise<void> {
    const records = messages.map((m) => toSqsRecord(m, queueArn as string, region));
    const ids = records.map((r) => r.messageId);
    const started = Date.now();
    stats.invocations += 1;
    let batchError: string | undefined;
    let failed: ReadonlySet<string> = new Set(ids);
    let timer: NodeJS.Timeout | undefined;
    try {
      const response = await Promise.race([
        handler({ Records: records }, createLambdaContext(functionName, region, timeoutMs)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new FunctionTimeoutError(`Task timed out after ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
      if (reportFailures) {
        const verdict = interpretBatchResponse(response, ids);
        if ('invalid' in verdict) batchError = `invalid partial batch response: ${verdict.invalid}`;
        else failed = verdict.failed;
      } else {
        failed = new Set();
      }
    } catch (error) {
      batchError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    } finally {
      clearTimeout(timer);
    }

    const succeeded = records.filter((r) => !failed.has(r.messageId));
    await deleteMessages(succeeded.map((r) => ({ Id: r.messageId, ReceiptHandle: r.receiptHandle })));
    stats.failed += ids.length - succeeded.length;
    options.onBatch?.({
      messageIds: ids,
      succeeded: succeeded.map((r) => r.messageId),
      failed: ids.filter((id) => failed.has(id)),
      ...(batchError ? { batchError } : {}),
      durationMs: Date.now() - started,
    });
  }

  async function deleteMessages(entries: { Id: string; ReceiptHandle: string }[]): Promise<void> {
    for (let i = 0; i < entries.length; i += 10) {
      const chunk = entries.slice(i, i + 10).map((e, index) => ({ ...e, Id: String(index) }));
      try {
        const result = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk }));
        stats.deleted += result.Successful?.length ?? 0;
        if (result.Failed?.length) {
          onError(new Error(`DeleteMessageBatch failed for ${result.Failed.length} record(s)`));
        }
      } catch (error) {
        onError(error);
      }
    }
  }

  async function release(messages: Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const entries = messages.slice(i, i + 10).map((m, index) => ({
        Id: String(index),
        ReceiptHandle: m.ReceiptHandle ?? '',
        VisibilityTimeout: 0,
      }));
      await sqs
        .send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries }))
        .catch(() => {});
    }
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      let batch: Message[] = [];
      try {
        batch = await gather();
      } catch (error) {
        if (stopping && isAbort(error)) break;
        onError(error);
        await sleep(1000);
        continue;
      }
      if (batch.length === 0) continue;
      if (stopping) {
        await release(batch);
        break;
      }
      await invoke(batch);
    }
  }

  const loops = Array.from({ length: Math.max(1, concurrency) }, () => loop());
  const finished = Promise.allSettled(loops);

  return {
    queueArn,
    stats: () => ({ ...stats }),
    async stop(graceMs = 5000, stopOptions: StopOptions = {}) {
      const abortPolls = stopOptions.abortInFlightPolls ?? true;
      if (!abortPolls) graceMs = Math.max(graceMs, waitTimeSeconds * 1000 + 2000);
      if (!stopping) {
        stopping = true;
        if (abortPolls) abort.abort();
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        finished,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}
