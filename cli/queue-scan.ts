/**
 * Reads a queue without consuming it. Received messages are held invisible while the scan runs, so each
 * receive returns messages not seen yet, and are made visible again (visibility 0) when the scan ends, even
 * when it fails. A message that reappears (its hold expired during a long scan) is recognised by its
 * MessageId and not reported twice. If the process is killed mid-scan, held messages reappear on their own
 * after the hold (at most `holdSeconds`); nothing is ever deleted by a scan.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type DlqMessage, fromSqsMessage } from './dlq-message';

export interface ScanOptions {
  /** How long received messages stay hidden during the scan. @default 120 */
  readonly holdSeconds?: number;
  /** Long-poll wait per receive; SQS only answers "empty" reliably with long polling. @default 1 */
  readonly waitTimeSeconds?: number;
  /** Stop after this many distinct messages. @default unlimited */
  readonly maxMessages?: number;
  /** Called after each receive with the number of distinct messages seen so far. */
  readonly onProgress?: (seen: number) => void;
}

/** What the visitor wants done with a message. */
export type VisitDecision =
  /** Make it visible again at the end of the scan. */
  | 'release'
  /** The visitor deleted (or moved) it: nothing to release. */
  | 'consumed'
  /** Release it and end the scan now. */
  | 'stop';

/** Rounds in a row returning only already-seen messages before the scan concludes it has seen everything. */
const MAX_STALE_ROUNDS = 3;

/**
 * Receives every message of the queue once (up to `maxMessages`), calling `visit` for each distinct one.
 * Returns the number of distinct messages seen.
 */
export async function scanQueue(
  sqs: SQSClient,
  queueUrl: string,
  visit: (message: DlqMessage) => Promise<VisitDecision>,
  options: ScanOptions = {},
): Promise<number> {
  const holdSeconds = options.holdSeconds ?? 120;
  const waitTimeSeconds = options.waitTimeSeconds ?? 1;
  const seen = new Set<string>();
  const held = new Map<string, string>();
  let staleRounds = 0;
  try {
    scanning: while (options.maxMessages === undefined || seen.size < options.maxMessages) {
      const want = Math.min(10, (options.maxMessages ?? Number.POSITIVE_INFINITY) - seen.size);
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: want,
          VisibilityTimeout: holdSeconds,
          WaitTimeSeconds: waitTimeSeconds,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const messages = received.Messages ?? [];
      if (messages.length === 0) break;
      // Hold every handle before visiting, so that a `stop` mid-batch still releases the rest of the batch.
      for (const raw of messages) if (raw.ReceiptHandle) held.set(raw.MessageId ?? '', raw.ReceiptHandle);
      let fresh = 0;
      for (const raw of messages) {
        const id = raw.MessageId ?? '';
        if (seen.has(id)) continue;
        seen.add(id);
        fresh++;
        const decision = await visit(fromSqsMessage(raw));
        if (decision === 'consumed') held.delete(id);
        if (decision === 'stop') {
          options.onProgress?.(seen.size);
          break scanning;
        }
      }
      options.onProgress?.(seen.size);
      staleRounds = fresh === 0 ? staleRounds + 1 : 0;
      if (staleRounds >= MAX_STALE_ROUNDS) break;
    }
  } finally {
    await releaseMessages(sqs, queueUrl, [...held.values()]);
  }
  return seen.size;
}

/** Makes held messages visible again, ten per call (the batch maximum). */
export async function releaseMessages(
  sqs: SQSClient,
  queueUrl: string,
  receiptHandles: string[],
): Promise<void> {
  for (let i = 0; i < receiptHandles.length; i += 10) {
    const chunk = receiptHandles.slice(i, i + 10);
    // A failed release is not fatal: the message reappears by itself when its hold expires.
    await sqs
      .send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((ReceiptHandle, index) => ({
            Id: String(index),
            ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      )
      .catch(() => undefined);
  }
}

/** Deletes one received message. */
export async function deleteMessage(sqs: SQSClient, queueUrl: string, receiptHandle: string): Promise<void> {
  await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle }));
}
