/**
 * The on-call view of one dead-lettered SQS message: who sent it, what it was, and why it failed.
 *
 * The reason comes from the failure attributes our code writes (`FAILURE_ATTRIBUTES`); a message SQS moved
 * by itself after `maxReceiveCount` deliveries carries none, and is reported as `max_receive_count_exceeded`
 * (the processor's logs and the dedupe record's `lastError` say more).
 */
import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import {
  FAILURE_ATTRIBUTES,
  isQueueEnvelope,
  MESSAGE_ATTRIBUTES,
  type QueueEnvelope,
} from '../lambdas/shared/envelope';

/** The reason shown for messages that carry no failure attributes. */
export const MAX_RECEIVE_REASON = 'max_receive_count_exceeded';

/** A message attribute in a JSON-safe form (binary values as base64), as written by `dlq export`. */
export interface PortableAttribute {
  readonly dataType: string;
  readonly stringValue?: string;
  readonly binaryValueBase64?: string;
}

export interface FailureInfo {
  /** `failureClass`, or {@link MAX_RECEIVE_REASON} when SQS moved the message itself. */
  readonly reason: string;
  readonly status?: number;
  readonly message?: string;
  readonly attempts?: number;
  readonly failedAt?: string;
  readonly failedBy?: string;
}

export interface DlqMessage {
  readonly messageId: string;
  /** Present for received messages; absent for exported records. */
  readonly receiptHandle?: string;
  /** When the message was first sent (a standard queue's DLQ keeps the original enqueue time). */
  readonly sentAt: string | undefined;
  readonly sentAtMs: number | undefined;
  readonly receiveCount: number | undefined;
  readonly body: string;
  readonly attributes: Readonly<Record<string, PortableAttribute>>;
  /** The parsed envelope, or undefined when the body is not one (e.g. `malformed_envelope`). */
  readonly envelope: QueueEnvelope | undefined;
  readonly sourceId: string;
  readonly eventType: string;
  readonly dedupeKey: string;
  readonly failure: FailureInfo;
}

const FAILURE_NAMES = new Set<string>(Object.values(FAILURE_ATTRIBUTES));

function portable(value: MessageAttributeValue): PortableAttribute {
  return {
    dataType: value.DataType ?? 'String',
    ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
    ...(value.BinaryValue !== undefined
      ? { binaryValueBase64: Buffer.from(value.BinaryValue).toString('base64') }
      : {}),
  };
}

function parseEnvelope(body: string): QueueEnvelope | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return isQueueEnvelope(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function numberOrUndefined(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function failureFrom(attributes: Readonly<Record<string, PortableAttribute>>): FailureInfo {
  const get = (name: string) => attributes[name]?.stringValue;
  const reason = get(FAILURE_ATTRIBUTES.failureClass);
  if (!reason) return { reason: MAX_RECEIVE_REASON };
  const status = numberOrUndefined(get(FAILURE_ATTRIBUTES.failureStatus));
  const attempts = numberOrUndefined(get(FAILURE_ATTRIBUTES.attempts));
  const message = get(FAILURE_ATTRIBUTES.failureMessage);
  const failedAt = get(FAILURE_ATTRIBUTES.failedAt);
  const failedBy = get(FAILURE_ATTRIBUTES.failedBy);
  return {
    reason,
    ...(status !== undefined ? { status } : {}),
    ...(message !== undefined ? { message } : {}),
    ...(attempts !== undefined ? { attempts } : {}),
    ...(failedAt !== undefined ? { failedAt } : {}),
    ...(failedBy !== undefined ? { failedBy } : {}),
  };
}

/** Builds the on-call view from a message's parts; shared by received messages and exported records. */
export function toDlqMessage(parts: {
  readonly messageId: string;
  readonly receiptHandle?: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, PortableAttribute>>;
  readonly sentAtMs: number | undefined;
  readonly receiveCount: number | undefined;
}): DlqMessage {
  const envelope = parseEnvelope(parts.body);
  const attr = (name: string) => parts.attributes[name]?.stringValue;
  return {
    messageId: parts.messageId,
    ...(parts.receiptHandle !== undefined ? { receiptHandle: parts.receiptHandle } : {}),
    sentAtMs: parts.sentAtMs,
    sentAt: parts.sentAtMs !== undefined ? new Date(parts.sentAtMs).toISOString() : undefined,
    receiveCount: parts.receiveCount,
    body: parts.body,
    attributes: parts.attributes,
    envelope,
    sourceId: envelope?.sourceId ?? attr(MESSAGE_ATTRIBUTES.sourceId) ?? 'unknown',
    eventType: envelope?.eventType ?? attr(MESSAGE_ATTRIBUTES.eventType) ?? 'unknown',
    dedupeKey: envelope?.dedupeKey ?? attr(MESSAGE_ATTRIBUTES.dedupeKey) ?? 'unknown',
    failure: failureFrom(parts.attributes),
  };
}

/** Converts a received SQS message (received with all attribute names) into the on-call view. */
export function fromSqsMessage(message: Message): DlqMessage {
  const attributes: Record<string, PortableAttribute> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {}))
    attributes[name] = portable(value);
  return toDlqMessage({
    messageId: message.MessageId ?? '',
    ...(message.ReceiptHandle !== undefined ? { receiptHandle: message.ReceiptHandle } : {}),
    body: message.Body ?? '',
    attributes,
    sentAtMs: numberOrUndefined(message.Attributes?.SentTimestamp),
    receiveCount: numberOrUndefined(message.Attributes?.ApproximateReceiveCount),
  });
}

/**
 * The attributes to send when putting a message back on the main queue: everything it arrived with except
 * the failure attributes, so the processor sees it exactly as ingest first queued it. One exception: a
 * message the ingest dead-lettered as `unusable_payload` was never queued as an event, and keeps its class
 * and reason, so the processor sends it back to the DLQ instead of treating it as an event.
 */
export function requeueAttributes(
  attributes: Readonly<Record<string, PortableAttribute>>,
): Record<string, MessageAttributeValue> {
  const unusable = attributes[FAILURE_ATTRIBUTES.failureClass]?.stringValue === 'unusable_payload';
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    const keep =
      unusable && (name === FAILURE_ATTRIBUTES.failureClass || name === FAILURE_ATTRIBUTES.failureMessage);
    if (FAILURE_NAMES.has(name) && !keep) continue;
    if (value.stringValue !== undefined) {
      out[name] = { DataType: value.dataType, StringValue: value.stringValue };
    } else if (value.binaryValueBase64 !== undefined) {
      out[name] = { DataType: value.dataType, BinaryValue: Buffer.from(value.binaryValueBase64, 'base64') };
    }
  }
  return out;
}

/** Which dead-lettered messages a command acts on; every field left undefined matches everything. */
export interface MessageFilter {
  readonly source?: string;
  readonly eventType?: string;
  readonly reason?: string;
  /** Only messages first sent at least this long ago. */
  readonly olderThanMs?: number;
  /** Only messages first sent at most this long ago. */
  readonly newerThanMs?: number;
  /** Only messages carrying this event (`<sourceId>:<eventId>`); `events get` looks for a dead letter. */
  readonly dedupeKey?: string;
}

/** True when the filter narrows anything (an empty filter lets redrive and purge use the native calls). */
export function isFiltered(filter: MessageFilter): boolean {
  return Object.values(filter).some((value) => value !== undefined);
}

/** True when the message passes every set field of the filter. */
export function matchesFilter(message: DlqMessage, filter: MessageFilter, nowMs: number): boolean {
  if (filter.source !== undefined && message.sourceId !== filter.source) return false;
  if (filter.eventType !== undefined && message.eventType !== filter.eventType) return false;
  if (filter.dedupeKey !== undefined && message.dedupeKey !== filter.dedupeKey) return false;
  if (filter.reason !== undefined && message.failure.reason !== filter.reason) return false;
  if (filter.olderThanMs !== undefined || filter.newerThanMs !== undefined) {
    if (message.sentAtMs === undefined) return false;
    const age = nowMs - message.sentAtMs;
    if (filter.olderThanMs !== undefined && age < filter.olderThanMs) return false;
    if (filter.newerThanMs !== undefined && age > filter.newerThanMs) return false;
  }
  return true;
}

/** The summary of a message printed by `list`, `show` and `--dry-run` (never the event body). */
export function summarize(message: DlqMessage, nowMs: number) {
  return {
    messageId: message.messageId,
    sourceId: message.sourceId,
    eventType: message.eventType,
    dedupeKey: message.dedupeKey,
    reason: message.failure.reason,
    ...(message.failure.status !== undefined ? { status: message.failure.status } : {}),
    ...(message.failure.message !== undefined ? { failureMessage: message.failure.message } : {}),
    ...(message.failure.attempts !== undefined ? { attempts: message.failure.attempts } : {}),
    ...(message.failure.failedBy !== undefined ? { failedBy: message.failure.failedBy } : {}),
    ...(message.failure.failedAt !== undefined ? { failedAt: message.failure.failedAt } : {}),
    sentAt: message.sentAt,
    ageMs: message.sentAtMs !== undefined ? nowMs - message.sentAtMs : undefined,
    receiveCount: message.receiveCount,
  };
}

export type MessageSummary = ReturnType<typeof summarize>;
