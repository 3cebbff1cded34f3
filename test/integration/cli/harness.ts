/**
 * Shared setup for the CLI acceptance tests: a main queue with a DLQ (RedrivePolicy) in fauxqs, seeded with
 * one message our code dead-lettered (failure attributes) and one SQS moved after maxReceiveCount, plus an
 * in-process runner with a fake terminal.
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { defaultClients } from '../../../cli/clients';
import { runCli } from '../../../cli/program';
import type { Terminal } from '../../../cli/terminal';
import {
  ENVELOPE_VERSION,
  FAILURE_ATTRIBUTES,
  MESSAGE_ATTRIBUTES,
  type QueueEnvelope,
} from '../../../lambdas/shared/envelope';
import { uniqueName } from '../../support/emulators';

export interface Queues {
  readonly queueUrl: string;
  readonly dlqUrl: string;
}

/** Creates a main queue whose messages go to the DLQ on their second receive. */
export async function createQueues(sqs: SQSClient): Promise<Queues> {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('cli-dlq') }));
  const dlqUrl = dlq.QueueUrl ?? '';
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: uniqueName('cli-main'),
      Attributes: {
        VisibilityTimeout: '30',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: 1 }),
      },
    }),
  );
  return { queueUrl: main.QueueUrl ?? '', dlqUrl };
}

export interface SeedEvent {
  readonly sourceId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly payload: string;
}

/** The queue body for an event; deterministic, so a test can compare a redriven body byte for byte. */
export function envelopeBody(event: SeedEvent): string {
  const envelope: QueueEnvelope = {
    v: ENVELOPE_VERSION,
    sourceId: event.sourceId,
    provider: 'stripe',
    dedupeKey: `${event.sourceId}:${event.eventId}`,
    providerEventId: event.eventId,
    eventType: event.eventType,
    occurredAt: '2026-01-01T00:00:00.000Z',
    receivedAt: '2026-01-01T00:00:05.000Z',
    headers: { 'content-type': 'application/json' },
    body: { kind: 'inline', base64: Buffer.from(event.payload).toString('base64') },
  };
  return JSON.stringify(envelope);
}

export function eventAttributes(event: SeedEvent): Record<string, MessageAttributeValue> {
  const s = (StringValue: string): MessageAttributeValue => ({ DataType: 'String', StringValue });
  return {
    [MESSAGE_ATTRIBUTES.sourceId]: s(event.sourceId),
    [MESSAGE_ATTRIBUTES.provider]: s('stripe'),
    [MESSAGE_ATTRIBUTES.eventType]: s(event.eventType),
    [MESSAGE_ATTRIBUTES.dedupeKey]: s(`${event.sourceId}:${event.eventId}`),
  };
}

/** Dead-letters an event the way the processor does on a permanent CDP rejection. */
export async function sendRejected(sqs: SQSClient, queues: Queues, event: SeedEvent): Promise<string> {
  const s = (StringValue: string): MessageAttributeValue => ({ DataType: 'String', StringValue });
  const sent = await sqs.send(
    new SendMessageCommand({
      QueueUrl: queues.dlqUrl,
      MessageBody: envelopeBody(event),
      MessageAttributes: {
        ...eventAttributes(event),
        [FAILURE_ATTRIBUTES.failureClass]: s('cdp_rejected'),
        [FAILURE_ATTRIBUTES.failureStatus]: { DataType: 'Number', StringValue: '422' },
        [FAILURE_ATTRIBUTES.failureMessage]: s('CDP rejected the record: email invalid'),
        [FAILURE_ATTRIBUTES.attempts]: { DataType: 'Number', StringValue: '1' },
        [FAILURE_ATTRIBUTES.failedAt]: s(new Date().toISOString()),
        [FAILURE_ATTRIBUTES.failedBy]: s('processor'),
      },
    }),
  );
  return sent.MessageId ?? '';
}

/** Sends an event to the main queue and receives it until SQS moves it to the DLQ (maxReceiveCount 1). */
export async function sendExhausted(sqs: SQSClient, queues: Queues, event: SeedEvent): Promise<string> {
  const sent = await sqs.send(
    new SendMessageCommand({
      QueueUrl: queues.queueUrl,
      MessageBody: envelopeBody(event),
      MessageAttributes: eventAttributes(event),
    }),
  );
  for (let attempt = 0; attempt < 5; attempt++) {
    // Visibility 0 plays a processor that failed and let the message come back.
    const got = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queues.queueUrl, VisibilityTimeout: 0, WaitTimeSeconds: 0 }),
    );
    if (!got.Messages?.length) break;
  }
  return sent.MessageId ?? '';
}

export interface DrainedMessage {
  readonly body: string;
  readonly attributes: Readonly<Record<string, string | undefined>>;
}

/** Receives (and hides) everything currently on a queue; used to count what a redrive delivered. */
export async function drain(sqs: SQSClient, queueUrl: string): Promise<DrainedMessage[]> {
  const out: DrainedMessage[] = [];
  for (;;) {
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 300,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = got.Messages ?? [];
    if (messages.length === 0) return out;
    for (const m of messages) {
      const attributes: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(m.MessageAttributes ?? {})) attributes[k] = v.StringValue;
      out.push({ body: m.Body ?? '', attributes });
    }
  }
}

/** Visible + in-flight messages of a queue. */
export async function depth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real CLI in-process against the emulators with a non-interactive fake terminal. */
export async function cli(
  args: readonly string[],
  options: { readonly answers?: string[]; readonly env?: Readonly<Record<string, string>> } = {},
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const answers = [...(options.answers ?? [])];
  const terminal: Terminal = {
    out: (text) => out.push(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => err.push(text.endsWith('\n') ? text : `${text}\n`),
    progressStream: undefined,
    interactive: options.answers !== undefined,
    ask: async () => answers.shift() ?? '',
  };
  const code = await runCli(args, { clients: defaultClients(), terminal, env: options.env ?? {} });
  return { code, stdout: out.join(''), stderr: err.join('') };
}
