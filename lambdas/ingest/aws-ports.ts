/**
 * AWS implementations of the ingest ports: SQS SendMessageBatch and Powertools Metrics (the S3 claim-check
 * store is in s3-claim-check.ts, loaded only for a claim-checked body). Thin: no decisions beyond translating shapes.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type MessageAttributeValue, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type {
  FailedEntry,
  IngestLogger,
  IngestMetricName,
  IngestMetrics,
  QueueEntry,
  QueuePort,
} from './ports';

export class SqsQueue implements QueuePort {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async sendBatch(entries: readonly QueueEntry[]): Promise<readonly FailedEntry[]> {
    const result = await this.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: entries.map((entry) => ({
          Id: entry.id,
          MessageBody: entry.body,
          MessageAttributes: Object.fromEntries(
            Object.entries(entry.attributes).map(([name, value]): [string, MessageAttributeValue] => [
              name,
              { DataType: 'String', StringValue: value },
            ]),
          ),
        })),
      }),
    );
    const failed = (result.Failed ?? []).map((f) => ({
      id: f.Id ?? '',
      code: f.Code ?? 'Unknown',
      senderFault: f.SenderFault ?? false,
    }));
    // An entry neither reported as successful nor as failed was not confirmed: treat it as failed.
    const confirmed = new Set([...(result.Successful ?? []).map((s) => s.Id), ...failed.map((f) => f.id)]);
    for (const entry of entries) {
      if (!confirmed.has(entry.id)) failed.push({ id: entry.id, code: 'Unconfirmed', senderFault: false });
    }
    return failed;
  }
}

/**
 * Counters as EMF through Powertools: failure and rare paths only, so a healthy request writes none. One
 * invocation serves one source, so counters share the `source` dimension and go out in one line at
 * {@link flush}; `Rejected` also carries `reason` and is its own line.
 */
export class PowertoolsIngestMetrics implements IngestMetrics {
  private source: string | undefined;

  constructor(private readonly metrics: Metrics) {}

  count(name: IngestMetricName, source: string, value = 1, reason?: string): void {
    if (reason !== undefined) {
      const single = this.metrics.singleMetric();
      single.addDimensions({ source, reason });
      single.addMetric(name, MetricUnit.Count, value);
      return;
    }
    this.source = source;
    this.metrics.addMetric(name, MetricUnit.Count, value);
  }

  flush(): void {
    if (this.source === undefined) return;
    this.metrics.addDimension('source', this.source);
    this.metrics.publishStoredMetrics();
    this.source = undefined;
  }
}

/** {@link IngestLogger} over a Powertools Logger (its variadic signature is wider than the port's). */
export function powertoolsIngestLogger(logger: Logger): IngestLogger {
  return {
    debug: (message, attributes) => logger.debug(message, attributes ?? {}),
    info: (message, attributes) => logger.info(message, attributes ?? {}),
    warn: (message, attributes) => logger.warn(message, attributes ?? {}),
    error: (message, attributes) => logger.error(message, attributes ?? {}),
  };
}
