import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { QUEUE_DEFAULTS } from '../../lambdas/shared/schema';
import { minimumVisibilityTimeoutSeconds } from '../resource-definitions';

export interface PipelineQueuesProps {
  /** Timeout of the function consuming the main queue; the visibility timeout must be at least 6x it. */
  readonly consumerTimeout: Duration;
  /** Main queue visibility timeout. @default 6x `consumerTimeout` */
  readonly visibilityTimeout?: Duration;
  /** Receives before SQS moves a message to the DLQ. @default QUEUE_DEFAULTS.maxReceiveCount (12) */
  readonly maxReceiveCount?: number;
  /** Main queue retention. @default Duration.days(QUEUE_DEFAULTS.mainRetentionDays) (7) */
  readonly retentionPeriod?: Duration;
  /** DLQ retention; longer than the main queue's. @default Duration.days(14) */
  readonly deadLetterRetentionPeriod?: Duration;
}

/**
 * The main queue and its dead-letter queue. Both use SSE-SQS and a TLS-only queue policy. The DLQ keeps
 * messages longer than the main queue because a standard queue's DLQ keeps each message's original
 * enqueue time: with equal retention, a message that spent days retrying would expire on arrival.
 */
export class PipelineQueues extends Construct {
  /** Events accepted by the ingest function, consumed by the processor. */
  public readonly queue: sqs.Queue;
  /** Messages that failed `maxReceiveCount` times, or were dead-lettered by the code. */
  public readonly deadLetterQueue: sqs.Queue;
  public readonly maxReceiveCount: number;
  /** Visibility timeout of the main queue. */
  public readonly visibilityTimeout: Duration;
  /** Retention of the main queue (counted from the original enqueue). */
  public readonly retentionPeriod: Duration;
  /** Retention of the DLQ; a message SQS moves there keeps its original enqueue time. */
  public readonly deadLetterRetentionPeriod: Duration;

  constructor(scope: Construct, id: string, props: PipelineQueuesProps) {
    super(scope, id);
    const minVisibility = minimumVisibilityTimeoutSeconds(props.consumerTimeout.toSeconds());
    const visibility = props.visibilityTimeout ?? Duration.seconds(minVisibility);
    if (visibility.toSeconds() < minVisibility) {
      throw new Error(
        `${id}: visibilityTimeout (${visibility.toSeconds()} s) must be at least 6x the consumer timeout (${minVisibility} s)`,
      );
    }
    const maxReceiveCount = props.maxReceiveCount ?? QUEUE_DEFAULTS.maxReceiveCount;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
      throw new Error(
        `${id}: maxReceiveCount must be a whole number between 1 and 1000, got ${maxReceiveCount}`,
      );
    }
    const retention = props.retentionPeriod ?? Duration.days(QUEUE_DEFAULTS.mainRetentionDays);
    const dlqRetention = props.deadLetterRetentionPeriod ?? Duration.days(QUEUE_DEFAULTS.dlqRetentionDays);
    if (dlqRetention.toSeconds() <= retention.toSeconds()) {
      throw new Error(`${id}: deadLetterRetentionPeriod must be longer than retentionPeriod`);
    }

    this.maxReceiveCount = maxReceiveCount;
    this.visibilityTimeout = visibility;
    this.retentionPeriod = retention;
    this.deadLetterRetentionPeriod = dlqRetention;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: dlqRetention,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the pipeline; it needs none itself.',
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: visibility,
      retentionPeriod: retention,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });
  }
}
