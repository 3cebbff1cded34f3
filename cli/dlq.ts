/**
 * DLQ operations behind `webhooks dlq …` and `webhooks replay`. Every function takes its SQS/S3 client as a
 * parameter and returns plain data; the commander wiring in `program.ts` only parses options and prints.
 *
 * Putting messages back never changes a body, so every event keeps its dedupe key and the processor's
 * conditional-write dedupe turns an accidental double redrive into a no-op.
 *
 * Every message put back is a new SQS message with a fresh retention clock, so a claim-checked body's
 * lifecycle clock is restarted first (lambdas/shared/claim-check.ts); a message whose body is gone is not
 * sent (it could only fail as `claim_check_missing`).
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { claimCheckLastWritten, restartClaimCheckClock } from '../lambdas/shared/claim-check';
import type { QueueEnvelope } from '../lambdas/shared/envelope';
import {
  type DlqMessage,
  isFiltered,
  type MessageFilter,
  type MessageSummary,
  matchesFilter,
  type PortableAttribute,
  requeueAttributes,
  summarize,
  toDlqMessage,
} from './dlq-message';
import { getDedupeRecord } from './events';
import { deleteMessage, type ScanOptions, scanQueue } from './queue-scan';
import { type Clock, createRateLimiter, systemClock } from './rate-limit';

/** Default pace of redrive and replay, messages per second: gentle on a CDP that just recovered. */
export const DEFAULT_RATE = 10;
/** SQS's ceiling for `MaxNumberOfMessagesPerSecond` on a message move task. */
export const MAX_NATIVE_RATE = 500;

/** Options shared by the commands that scan the DLQ. */
export interface ScanSettings {
  /** Overrides for the scan (hold time, long-poll wait); tests shorten the wait. */
  readonly scan?: Omit<ScanOptions, 'maxMessages' | 'onProgress'>;
  /** Reports distinct messages scanned so far (progress bars). */
  readonly onProgress?: (scanned: number) => void;
  readonly now?: () => number;
}

export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly total: number;
}

/** The queue's approximate depth as SQS reports it (visible + in flight + delayed). */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const read = (name: string) => Number(Attributes[name as keyof typeof Attributes] ?? 0) || 0;
  const visible = read('ApproximateNumberOfMessages');
  const inFlight = read('ApproximateNumberOfMessagesNotVisible');
  const delayed = read('ApproximateNumberOfMessagesDelayed');
  return { visible, inFlight, delayed, total: visible + inFlight + delayed };
}

/** A queue's ARN, needed by StartMessageMoveTask. */
export async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`Queue ${queueUrl} reported no QueueArn`);
  return arn;
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

export interface DlqStats {
  readonly depth: QueueDepth;
  /** Messages actually inspected for the counts below. */
  readonly scanned: number;
  /** True when the scan stopped at its limit, so the counts cover only part of the queue. */
  readonly truncated: boolean;
  readonly oldest:
    | { readonly messageId: string; readonly sentAt: string; readonly ageMs: number }
    | undefined;
  readonly bySource: Record<string, number>;
  readonly byEventType: Record<string, number>;
  readonly byReason: Record<string, number>;
}

/** Depth from the queue attributes; oldest age and breakdowns from a non-consuming scan. */
export async function dlqStats(
  sqs: SQSClient,
  dlqUrl: string,
  options: ScanSettings & { readonly scanLimit?: number } = {},
): Promise<DlqStats> {
  const now = options.now ?? Date.now;
  const depth = await queueDepth(sqs, dlqUrl);
  const bySource: Record<string, number> = {};
  const byEventType: Record<string, number> = {};
  const byReason: Record<string, number> = {};
  let oldest: DlqMessage | undefined;
  const scanned = await scanQueue(
    sqs,
    dlqUrl,
    async (message) => {
      increment(bySource, message.sourceId);
      increment(byEventType, message.eventType);
      increment(byReason, message.failure.reason);
      if (
        message.sentAtMs !== undefined &&
        (oldest?.sentAtMs === undefined || message.sentAtMs < oldest.sentAtMs)
      ) {
        oldest = message;
      }
      return 'release';
    },
    {
      ...options.scan,
      ...(options.scanLimit !== undefined ? { maxMessages: options.scanLimit } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    },
  );
  const oldestMessage: DlqMessage | undefined = oldest;
  return {
    depth,
    scanned,
    truncated: options.scanLimit !== undefined && scanned >= options.scanLimit,
    oldest:
      oldestMessage?.sentAtMs !== undefined && oldestMessage.sentAt !== undefined
        ? {
            messageId: oldestMessage.messageId,
            sentAt: oldestMessage.sentAt,
            ageMs: now() - oldestMessage.sentAtMs,
          }
        : undefined,
    bySource,
    byEventType,
    byReason,
  };
}

/** Collects matching messages without consuming any; stops once `limit` have matched. */
export async function peekMessages(
  sqs: SQSClient,
  dlqUrl: string,
  options: ScanSettings & { readonly filter?: MessageFilter; readonly limit?: number } = {},
): Promise<{ readonly messages: DlqMessage[]; readonly scanned: number }> {
  const now = options.now ?? Date.now;
  const filter = options.filter ?? {};
  const messages: DlqMessage[] = [];
  const scanned = await scanQueue(
    sqs,
    dlqUrl,
    async (message) => {
      if (!matchesFilter(message, filter, now())) return 'release';
      messages.push(message);
      return options.limit !== undefined && messages.length >= options.limit ? 'stop' : 'release';
    },
    { ...options.scan, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
  );
  return { messages, scanned };
}

/** `dlq list`: summaries of matching messages, oldest first. */
export async function listMessages(
  sqs: SQSClient,
  dlqUrl: string,
  options: ScanSettings & { readonly filter?: MessageFilter; readonly limit?: number } = {},
): Promise<{ readonly messages: MessageSummary[]; readonly scanned: number }> {
  const now = options.now ?? Date.now;
  const { messages, scanned } = await peekMessages(sqs, dlqUrl, options);
  const sorted = [...messages].sort((a, b) => (a.sentAtMs ?? 0) - (b.sentAtMs ?? 0));
  return { messages: sorted.map((m) => summarize(m, now())), scanned };
}

/** Finds one message by its SQS MessageId without consuming anything. */
export async function findMessage(
  sqs: SQSClient,
  dlqUrl: string,
  messageId: string,
  options: ScanSettings = {},
): Promise<DlqMessage | undefined> {
  let found: DlqMessage | undefined;
  await scanQueue(
    sqs,
    dlqUrl,
    async (message) => {
      if (message.messageId !== messageId) return 'release';
      found = message;
      return 'stop';
    },
    { ...options.scan, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
  );
  return found;
}

/** The event's raw bytes: decoded from the inline base64, or fetched from the claim-check bucket. */
export async function readEventBody(s3: S3Client, envelope: QueueEnvelope): Promise<Buffer> {
  if (envelope.body.kind === 'inline') return Buffer.from(envelope.body.base64, 'base64');
  const object = await s3.send(
    new GetObjectCommand({ Bucket: envelope.body.bucket, Key: envelope.body.key }),
  );
  if (!object.Body)
    throw new Error(`Claim-check object s3://${envelope.body.bucket}/${envelope.body.key} is empty`);
  return Buffer.from(await object.Body.transformToByteArray());
}

export interface MoveOptions extends ScanSettings {
  readonly dlqUrl: string;
  /** Keeps claim-checked bodies alive for the messages sent; without it, such messages are not moved. */
  readonly s3?: S3Client;
  readonly queueUrl: string;
  readonly filter?: MessageFilter;
  /** Move at most this many messages. */
  readonly max?: number;
  /** Messages per second. @default DEFAULT_RATE */
  readonly rate?: number;
  readonly dryRun?: boolean;
  readonly clock?: Clock;
  /** Reports messages moved so far. */
  readonly onMoved?: (moved: number) => void;
}

export interface MoveResult {
  readonly mode: 'move';
  readonly dryRun: boolean;
  readonly scanned: number;
  /** Messages moved; always empty with --dry-run, which moves nothing. */
  readonly moved: MessageSummary[];
  /** With --dry-run only: the messages that would move. */
  readonly wouldMove?: MessageSummary[];
  /** Sends that failed: the message stays in the DLQ. */
  readonly failed: { readonly messageId: string; readonly error: string }[];
  /**
   * Sent to the main queue but not deleted from the DLQ: a later redrive sends them again, which the
   * processor's dedupe absorbs.
   */
  readonly notDeleted: { readonly messageId: string; readonly error: string }[];
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Restarts the lifecycle clock of a claim-checked body before a new message points to it: undefined when
 * done (or inline), else why the message must not be sent.
 */
export async function keepBodyAlive(
  s3: S3Client | undefined,
  envelope: QueueEnvelope | undefined,
  nowMs: number,
): Promise<{ readonly missing: boolean; readonly detail: string } | undefined> {
  const body = envelope?.body;
  if (body === undefined || body.kind === 'inline') return undefined;
  const where = `s3://${body.bucket}/${body.key}`;
  if (!s3)
    return {
      missing: false,
      detail: `claim-checked body ${where} needs S3 access to be kept alive; not sent`,
    };
  try {
    if (await restartClaimCheckClock(s3, body, nowMs)) return undefined;
  } catch (error) {
    return {
      missing: false,
      detail: `could not keep the claim-checked body ${where} alive (${errorText(error)}); not sent`,
    };
  }
  return {
    missing: true,
    detail: `claim-checked body ${where} no longer exists (expired, or deleted when its event completed); not sent, it could only fail as claim_check_missing`,
  };
}

/**
 * Sends a DLQ message back to `queueUrl` (same body, failure attributes dropped) after keeping its body
 * alive: the error text, or undefined.
 */
async function requeue(
  sqs: SQSClient,
  queueUrl: string,
  message: Pick<DlqMessage, 'body' | 'attributes' | 'envelope'>,
  s3: S3Client | undefined,
  nowMs: number,
): Promise<string | undefined> {
  const bodyProblem = await keepBodyAlive(s3, message.envelope, nowMs);
  if (bodyProblem) return bodyProblem.detail;
  try {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: message.body,
        MessageAttributes: requeueAttributes(message.attributes),
      }),
    );
    return undefined;
  } catch (error) {
    return errorText(error);
  }
}

/**
 * Moves matching DLQ messages to the main queue: same body, same attributes minus the failure attributes.
 * Each message is deleted from the DLQ only after its send succeeded, so a crash can duplicate a message
 * (absorbed by dedupe) but never lose one.
 */
export async function moveMessages(sqs: SQSClient, options: MoveOptions): Promise<MoveResult> {
  const now = options.now ?? Date.now;
  const filter = options.filter ?? {};
  const dryRun = options.dryRun ?? false;
  const limiter = createRateLimiter(options.rate ?? DEFAULT_RATE, options.clock ?? systemClock);
  const moved: MessageSummary[] = [];
  const wouldMove: MessageSummary[] = [];
  const failed: { messageId: string; error: string }[] = [];
  const notDeleted: { messageId: string; error: string }[] = [];
  const scanned = await scanQueue(
    sqs,
    options.dlqUrl,
    async (message) => {
      if (options.max !== undefined && moved.length + wouldMove.length >= options.max) return 'stop';
      if (!matchesFilter(message, filter, now())) return 'release';
      if (dryRun) {
        wouldMove.push(summarize(message, now()));
        return 'release';
      }
      await limiter.acquire();
      const sendError = await requeue(sqs, options.queueUrl, message, options.s3, now());
      if (sendError) {
        failed.push({ messageId: message.messageId, error: sendError });
        return 'release';
      }
      moved.push(summarize(message, now()));
      options.onMoved?.(moved.length);
      try {
        if (message.receiptHandle) await deleteMessage(sqs, options.dlqUrl, message.receiptHandle);
      } catch (error) {
        notDeleted.push({ messageId: message.messageId, error: errorText(error) });
        return 'release';
      }
      return 'consumed';
    },
    { ...options.scan, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
  );
  return { mode: 'move', dryRun, scanned, moved, ...(dryRun ? { wouldMove } : {}), failed, notDeleted };
}

export interface NativeRedriveResult {
  readonly mode: 'native';
  readonly taskHandle: string;
  readonly sourceArn: string;
  readonly destinationArn: string;
  readonly maxNumberOfMessagesPerSecond: number;
  /** Approximate DLQ depth when the task started. */
  readonly approximateMessages: number;
}

export type RedriveResult = NativeRedriveResult | (MoveResult & { readonly fallbackReason?: string });

/**
 * True when SQS (or an emulator) answered that it does not know the StartMessageMoveTask action, as opposed
 * to a real failure of the task (permissions, a source that is not a DLQ, a task already running).
 */
export function isUnsupportedActionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { Code?: string }).Code;
  const names = new Set(['InvalidAction', 'UnknownOperationException', 'UnsupportedOperation']);
  return names.has(error.name) || (code !== undefined && names.has(code));
}

/**
 * `dlq redrive`. Unfiltered and not a dry run: SQS's native message move task with a velocity limit, which
 * keeps running server-side if the terminal disconnects; where the service does not implement it, the
 * filtered move handles everything. Filtered or dry run: {@link moveMessages}. The native task gives every
 * message a new enqueue time without touching bodies; the processor restarts the clock of a claim-checked
 * body when it receives a message created well after the body's last write (a day of margin at least).
 */
export async function redrive(sqs: SQSClient, options: MoveOptions): Promise<RedriveResult> {
  const filtered = isFiltered(options.filter ?? {}) || options.max !== undefined;
  if (filtered || options.dryRun) return await moveMessages(sqs, options);
  const rate = Math.min(MAX_NATIVE_RATE, Math.max(1, Math.floor(options.rate ?? DEFAULT_RATE)));
  const [sourceArn, destinationArn, depth] = await Promise.all([
    queueArn(sqs, options.dlqUrl),
    queueArn(sqs, options.queueUrl),
    queueDepth(sqs, options.dlqUrl),
  ]);
  try {
    const { TaskHandle } = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: sourceArn,
        DestinationArn: destinationArn,
        MaxNumberOfMessagesPerSecond: rate,
      }),
    );
    return {
      mode: 'native',
      taskHandle: TaskHandle ?? '',
      sourceArn,
      destinationArn,
      maxNumberOfMessagesPerSecond: rate,
      approximateMessages: depth.visible,
    };
  } catch (error) {
    if (!isUnsupportedActionError(error)) throw error;
    const result = await moveMessages(sqs, options);
    return { ...result, fallbackReason: `StartMessageMoveTask unavailable (${errorText(error)})` };
  }
}

export type PurgeResult =
  | { readonly mode: 'purge-queue'; readonly approximateMessages: number }
  | { readonly mode: 'filtered'; readonly scanned: number; readonly deleted: MessageSummary[] };

/**
 * `dlq purge`. Unfiltered: PurgeQueue (SQS allows one per 60 s and may take up to 60 s to finish).
 * Filtered: deletes only the matching messages.
 */
export async function purge(
  sqs: SQSClient,
  options: ScanSettings & { readonly dlqUrl: string; readonly filter?: MessageFilter },
): Promise<PurgeResult> {
  const filter = options.filter ?? {};
  const now = options.now ?? Date.now;
  if (!isFiltered(filter)) {
    const depth = await queueDepth(sqs, options.dlqUrl);
    await sqs.send(new PurgeQueueCommand({ QueueUrl: options.dlqUrl }));
    return { mode: 'purge-queue', approximateMessages: depth.total };
  }
  const deleted: MessageSummary[] = [];
  const scanned = await scanQueue(
    sqs,
    options.dlqUrl,
    async (message) => {
      if (!matchesFilter(message, filter, now()) || !message.receiptHandle) return 'release';
      await deleteMessage(sqs, options.dlqUrl, message.receiptHandle);
      deleted.push(summarize(message, now()));
      return 'consumed';
    },
    { ...options.scan, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
  );
  return { mode: 'filtered', scanned, deleted };
}

/** One line of a `dlq export` file: enough to put the message back exactly as it was queued. */
export interface ExportRecord {
  readonly exportVersion: 1;
  readonly messageId: string;
  readonly sentAt: string | undefined;
  readonly receiveCount: number | undefined;
  readonly sourceId: string;
  readonly eventType: string;
  readonly dedupeKey: string;
  readonly reason: string;
  /** The SQS body unchanged: the envelope JSON (inline base64 event bytes or a claim-check pointer). */
  readonly body: string;
  readonly attributes: Readonly<Record<string, PortableAttribute>>;
}

export function toExportRecord(message: DlqMessage): ExportRecord {
  return {
    exportVersion: 1,
    messageId: message.messageId,
    sentAt: message.sentAt,
    receiveCount: message.receiveCount,
    sourceId: message.sourceId,
    eventType: message.eventType,
    dedupeKey: message.dedupeKey,
    reason: message.failure.reason,
    body: message.body,
    attributes: message.attributes,
  };
}

function isPortableAttributes(value: unknown): value is Record<string, PortableAttribute> {
  if (typeof value !== 'object' || value === null) return false;
  return Object.values(value).every(
    (a: unknown) =>
      typeof a === 'object' && a !== null && typeof (a as Partial<PortableAttribute>).dataType === 'string',
  );
}

/** Parses an export file (JSON Lines); reports the line number of the first malformed record. */
export function parseExport(text: string): DlqMessage[] {
  const messages: DlqMessage[] = [];
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      throw new Error(`Line ${index + 1} of the export is not JSON`);
    }
    const r = record as Partial<ExportRecord>;
    if (
      r.exportVersion !== 1 ||
      typeof r.messageId !== 'string' ||
      typeof r.body !== 'string' ||
      !isPortableAttributes(r.attributes)
    ) {
      throw new Error(`Line ${index + 1} of the export is not a webhooks DLQ export record`);
    }
    const sentAtMs = typeof r.sentAt === 'string' ? Date.parse(r.sentAt) : Number.NaN;
    messages.push(
      toDlqMessage({
        messageId: r.messageId,
        body: r.body,
        attributes: r.attributes,
        sentAtMs: Number.isFinite(sentAtMs) ? sentAtMs : undefined,
        receiveCount: typeof r.receiveCount === 'number' ? r.receiveCount : undefined,
      }),
    );
  }
  return messages;
}

/** Why `replay` did not send an exported message. */
export type ReplayRefusal =
  /** Its dedupe record says it was applied: sending it again is a no-op at best. */
  | 'already_completed'
  /**
   * It may have been applied (it reached the processor), but its dedupe record has expired: replaying it
   * could apply it a second time. `--allow-reapply` overrides, for events known never to have been applied.
   */
  | 'dedupe_record_gone'
  /** Its claim-checked body no longer exists: it could only fail as `claim_check_missing`. */
  | 'claim_check_missing';

export interface RefusedReplay {
  readonly messageId: string;
  readonly dedupeKey: string;
  readonly reason: ReplayRefusal;
  readonly detail: string;
}

export interface ReplayResult {
  readonly dryRun: boolean;
  readonly total: number;
  readonly sent: MessageSummary[];
  readonly skipped: number;
  /** Matching messages not sent, each with its reason (also reported by a dry run). */
  readonly refused: RefusedReplay[];
  readonly failed: { readonly messageId: string; readonly error: string }[];
}

/** Where `replay` reads dedupe records. */
export interface DedupeLookup {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * Whether the exported message's event can safely go back: undefined to send it, else why not. A message the
 * ingest dead-lettered, or one without a readable envelope, never reached the dedupe store, so it has no
 * record to check.
 */
async function dedupeVerdict(
  message: DlqMessage,
  dedupe: DedupeLookup | undefined,
  allowReapply: boolean,
  nowMs: number,
): Promise<{ reason: ReplayRefusal; detail: string } | undefined> {
  if (!message.envelope || message.failure.failedBy === 'ingest') return undefined;
  if (!dedupe) {
    if (allowReapply) return undefined;
    return { reason: 'dedupe_record_gone', detail: 'no state table to check the dedupe record in' };
  }
  const lookup = await getDedupeRecord(dedupe.doc, dedupe.tableName, message.envelope.dedupeKey, nowMs);
  if (lookup.found && !lookup.expired) {
    if (lookup.record.status !== 'COMPLETED') return undefined;
    return {
      reason: 'already_completed',
      detail: `completed at ${lookup.record.completedAt ?? lookup.record.updatedAt}; nothing to replay`,
    };
  }
  if (allowReapply) return undefined;
  return {
    reason: 'dedupe_record_gone',
    detail: lookup.found
      ? `its dedupe record expired at ${new Date(lookup.record.expiresAt * 1000).toISOString()}: replaying could apply it twice (--allow-reapply if it was never applied)`
      : 'it has no dedupe record (expired and deleted, or never processed): replaying could apply it twice (--allow-reapply if it was never applied)',
  };
}

/**
 * `replay`: sends exported messages to the main queue with their original body and attributes (minus the
 * failure attributes), so each keeps its dedupe key. Refuses, with the reason, a message whose event is
 * already completed, whose dedupe record is gone (it could be applied twice), or whose claim-checked body is
 * gone; restarts the lifecycle clock of every claim-checked body it sends.
 */
export async function replay(
  sqs: SQSClient,
  options: {
    readonly queueUrl: string;
    readonly messages: readonly DlqMessage[];
    readonly filter?: MessageFilter;
    readonly dryRun?: boolean;
    readonly rate?: number;
    readonly clock?: Clock;
    readonly now?: () => number;
    readonly onSent?: (sent: number) => void;
    /** Where to check each event's dedupe record. Without it, every message that has one is refused. */
    readonly dedupe?: DedupeLookup;
    /** Send messages whose dedupe record is gone anyway (the operator knows they were never applied). */
    readonly allowReapply?: boolean;
    /** Keeps claim-checked bodies alive; without it, claim-checked messages are not sent. */
    readonly s3?: S3Client;
  },
): Promise<ReplayResult> {
  const now = options.now ?? Date.now;
  const filter = options.filter ?? {};
  const dryRun = options.dryRun ?? false;
  const limiter = createRateLimiter(options.rate ?? DEFAULT_RATE, options.clock ?? systemClock);
  const selected = options.messages.filter((m) => matchesFilter(m, filter, now()));
  const sent: MessageSummary[] = [];
  const refused: RefusedReplay[] = [];
  const failed: { messageId: string; error: string }[] = [];
  for (const message of selected) {
    const verdict = await dedupeVerdict(message, options.dedupe, options.allowReapply ?? false, now());
    if (verdict) {
      refused.push({ messageId: message.messageId, dedupeKey: message.dedupeKey, ...verdict });
      continue;
    }
    const body = message.envelope?.body;
    if (dryRun) {
      if (
        body?.kind === 's3' &&
        options.s3 &&
        (await claimCheckLastWritten(options.s3, body)) === undefined
      ) {
        refused.push({
          messageId: message.messageId,
          dedupeKey: message.dedupeKey,
          reason: 'claim_check_missing',
          detail: `claim-checked body s3://${body.bucket}/${body.key} no longer exists`,
        });
        continue;
      }
    } else {
      await limiter.acquire();
      const bodyProblem = await keepBodyAlive(options.s3, message.envelope, now());
      if (bodyProblem?.missing) {
        refused.push({
          messageId: message.messageId,
          dedupeKey: message.dedupeKey,
          reason: 'claim_check_missing',
          detail: bodyProblem.detail,
        });
        continue;
      }
      if (bodyProblem) {
        failed.push({ messageId: message.messageId, error: bodyProblem.detail });
        continue;
      }
      const sendError = await requeue(
        sqs,
        options.queueUrl,
        { ...message, envelope: undefined },
        undefined,
        now(),
      );
      if (sendError) {
        failed.push({ messageId: message.messageId, error: sendError });
        continue;
      }
    }
    sent.push(summarize(message, now()));
    options.onSent?.(sent.length);
  }
  return {
    dryRun,
    total: options.messages.length,
    sent,
    skipped: options.messages.length - selected.length,
    refused,
    failed,
  };
}
