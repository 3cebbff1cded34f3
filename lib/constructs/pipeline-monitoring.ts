import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { QUEUE_DEFAULTS } from '../../lambdas/shared/schema';
import { DEFAULT_ALARMS } from '../config';
import { deadLetterAgeAlarmSeconds, METRICS } from '../resource-definitions';

/** A source watched by the "no webhooks received" alarm. */
export interface WatchedSource {
  readonly sourceId: string;
  /** Alarm when nothing arrives for this many minutes (multiple of 5, at most 180). */
  readonly expectEventsWithinMinutes: number;
}

export interface PipelineMonitoringProps {
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly ingestFunction: lambda.IFunction;
  readonly processorFunction: lambda.IFunction;
  /** API Gateway 5xx count metric of the front door. */
  readonly apiServerErrors: cloudwatch.IMetric;
  /** API Gateway request count metric of the front door. */
  readonly apiRequests: cloudwatch.IMetric;
  /** CloudWatch namespace of the functions' custom metrics. @default 'WebhookPipeline' */
  readonly metricsNamespace?: string;
  /** E-mail subscribed to the alarm topic. @default - no subscription */
  readonly email?: string;
  /** @default 900 */
  readonly oldestMessageAgeSeconds?: number;
  /**
   * Age of the oldest DLQ message that raises an alarm: half of the time a message is sure to stay in the
   * DLQ before it expires (`deadLetterAgeAlarmSeconds` in lib/resource-definitions.ts), so nothing expires
   * unseen. @default derived from QUEUE_DEFAULTS' retentions
   */
  readonly deadLetterAgeAlarmSeconds?: number;
  /** @default 25 */
  readonly rejectionsPer5Minutes?: number;
  /** @default 10 */
  readonly cdpFailuresPer5Minutes?: number;
  /** @default 5 */
  readonly api5xxPer5Minutes?: number;
  /** Sources with a silence alarm. @default - none */
  readonly watchedSources?: readonly WatchedSource[];
}

const FIVE_MINUTES = Duration.minutes(5);
const RUNBOOK = 'Runbook: README, Operations.';

/**
 * Alarms to an encrypted SNS topic (optional e-mail subscription), and a dashboard following one event
 * from the API to the CDP. Custom metrics are read with Metrics Insights queries, which sum over every
 * dimension combination the functions emit (service, source, reason, failure class), whether from EMF lines or
 * from the metric filters on the functions' log groups (lambdas/shared/log-metrics.ts).
 */
export class PipelineMonitoring extends Construct {
  public readonly topic: sns.Topic;
  public readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm, by construct id. */
  public readonly alarms: ReadonlyMap<string, cloudwatch.Alarm>;
  private readonly alarmMap = new Map<string, cloudwatch.Alarm>();
  private readonly namespace: string;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    this.namespace = props.metricsNamespace ?? METRICS.namespace;
    if (!/^[A-Za-z0-9_./#:-]+$/.test(this.namespace)) throw new Error(`${id}: invalid metrics namespace`);
    const thresholds = {
      oldestMessageAgeSeconds: props.oldestMessageAgeSeconds ?? DEFAULT_ALARMS.oldestMessageAgeSeconds,
      rejectionsPer5Minutes: props.rejectionsPer5Minutes ?? DEFAULT_ALARMS.rejectionsPer5Minutes,
      cdpFailuresPer5Minutes: props.cdpFailuresPer5Minutes ?? DEFAULT_ALARMS.cdpFailuresPer5Minutes,
      api5xxPer5Minutes: props.api5xxPer5Minutes ?? DEFAULT_ALARMS.api5xxPer5Minutes,
      deadLetterAgeAlarmSeconds:
        props.deadLetterAgeAlarmSeconds ??
        deadLetterAgeAlarmSeconds(
          QUEUE_DEFAULTS.mainRetentionDays * 86_400,
          QUEUE_DEFAULTS.dlqRetentionDays * 86_400,
        ),
    };
    if (props.deadLetterAgeAlarmSeconds !== undefined && !Number.isInteger(props.deadLetterAgeAlarmSeconds)) {
      throw new Error(`${id}: deadLetterAgeAlarmSeconds must be whole seconds`);
    }
    for (const [name, value] of Object.entries(thresholds)) {
      if (!(value > 0)) throw new Error(`${id}: ${name} must be positive`);
    }
    for (const source of props.watchedSources ?? []) {
      const minutes = source.expectEventsWithinMinutes;
      if (!Number.isInteger(minutes) || minutes % 5 !== 0 || minutes < 5 || minutes > 180) {
        throw new Error(
          `${id}: expectEventsWithinMinutes of ${source.sourceId} must be a multiple of 5 from 5 to 180`,
        );
      }
      if (!/^[a-z0-9-]+$/.test(source.sourceId))
        throw new Error(`${id}: invalid source id ${source.sourceId}`);
    }

    // CloudWatch can only publish to an encrypted topic through a customer managed key it may use.
    const key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the webhook pipeline alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new sns.Topic(this, 'AlarmTopic', { masterKey: key, enforceSSL: true });
    if (props.email !== undefined)
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));

    this.alarm('DeadLetterQueueNotEmpty', {
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(1),
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `Messages are waiting in the dead-letter queue: events that were not delivered to the CDP. Inspect and redrive with the webhooks CLI. ${RUNBOOK}`,
    });
    this.alarm('DeadLetterQueueAging', {
      metric: props.deadLetterQueue.metricApproximateAgeOfOldestMessage({
        statistic: 'Maximum',
        period: FIVE_MINUTES,
      }),
      threshold: thresholds.deadLetterAgeAlarmSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `A dead-lettered event has waited ${Math.round(thresholds.deadLetterAgeAlarmSeconds / 3600)} h: redrive, export or purge it before SQS expires it. ${RUNBOOK}`,
    });
    this.alarm('OldestMessageAge', {
      metric: props.queue.metricApproximateAgeOfOldestMessage({
        statistic: 'Maximum',
        period: Duration.minutes(1),
      }),
      threshold: thresholds.oldestMessageAgeSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `The oldest queued event is ${thresholds.oldestMessageAgeSeconds} s old: the processor is falling behind or failing. ${RUNBOOK}`,
    });
    this.alarm('ProcessorErrors', {
      metric: props.processorFunction.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `The processor function failed whole invocations (crash, timeout or configuration error). ${RUNBOOK}`,
    });
    this.alarm('ProcessorThrottles', {
      metric: props.processorFunction.metricThrottles({ statistic: 'Sum', period: FIVE_MINUTES }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `The processor was throttled: account concurrency is exhausted. ${RUNBOOK}`,
    });
    this.alarm('IngestErrors', {
      metric: props.ingestFunction.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `The ingest function crashed or timed out: providers receive 5xx and will retry, then disable the endpoint. ${RUNBOOK}`,
    });
    // The ingest answers most 5xx itself (queue unreachable, secret unavailable or empty, a source's bad
    // setting) without failing the invocation: Lambda Errors never sees those, so the alarm watches the
    // counter the ingest emits for every 5xx it answers (dimensions source and reason).
    this.alarm('Ingest5xx', {
      metric: this.insights(
        `SELECT SUM(${METRICS.serverErrors}) FROM "${this.namespace}"`,
        'Ingest 5xx answers',
      ),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `The ingest answered 5xx (ServerErrors; the reason dimension says which: enqueue_failed, dead_letter_failed, secret_unavailable, source_misconfigured, internal_error). Providers retry, then disable the endpoint. ${RUNBOOK}`,
    });
    this.alarm('Api5xx', {
      metric: props.apiServerErrors,
      threshold: thresholds.api5xxPer5Minutes,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `The webhook API answered 5xx: providers retry and eventually disable endpoints that keep failing. ${RUNBOOK}`,
    });
    this.alarm('SignatureRejectionsSpike', {
      metric: this.insights(
        `SELECT SUM(${METRICS.rejected}) FROM "${this.namespace}" WHERE ${METRICS.nonSignatureRejectReasons
          .map((reason) => `reason != '${reason}'`)
          .join(' AND ')}`,
        'Signature rejections',
      ),
      threshold: thresholds.rejectionsPer5Minutes,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `Many requests failed signature checks: a rotated or wrong secret, a URL mismatch, or an attack. ${RUNBOOK}`,
    });
    this.alarm('CdpFailureRate', {
      metric: this.insights(`SELECT SUM(${METRICS.failed}) FROM "${this.namespace}"`, 'Failed deliveries'),
      threshold: thresholds.cdpFailuresPer5Minutes,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `Delivering events to the CDP fails at a high rate (CDP down, rate limited, or rejecting records). ${RUNBOOK}`,
    });
    for (const source of props.watchedSources ?? []) {
      const periods = source.expectEventsWithinMinutes / 5;
      this.alarm(`NoWebhooks-${source.sourceId}`, {
        metric: this.insights(
          // Enqueued (a metric filter on the ingest's log group), not requests: junk requests to the URL must
          // not keep a silent source looking alive.
          `SELECT SUM(${METRICS.enqueued}) FROM "${this.namespace}" WHERE source = '${source.sourceId}'`,
          `Enqueued (${source.sourceId})`,
        ),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        // No data point at all is exactly the failure this alarm exists for.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        alarmDescription: `No webhook from source ${source.sourceId} for ${source.expectEventsWithinMinutes} minutes: check the provider's delivery log and the endpoint registration. ${RUNBOOK}`,
      });
    }
    this.alarms = this.alarmMap;

    this.dashboard = this.buildDashboard(props);
  }

  private insights(query: string, label: string): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({ expression: query, label, period: FIVE_MINUTES });
  }

  private alarm(id: string, props: cloudwatch.AlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, props);
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    alarm.addOkAction(new actions.SnsAction(this.topic));
    this.alarmMap.set(id, alarm);
    return alarm;
  }

  private buildDashboard(props: PipelineMonitoringProps): cloudwatch.Dashboard {
    const byName = (name: string, group: string) =>
      this.insights(`SELECT SUM(${name}) FROM "${this.namespace}" GROUP BY ${group}`, `${name} by ${group}`);
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });
    const width = 8;
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '## Webhook pipeline\nAPI Gateway → ingest (verify, enqueue) → SQS → processor (dedupe, map) → CDP; failures → DLQ.',
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: '1. API requests and 5xx',
        left: [props.apiRequests],
        right: [props.apiServerErrors],
        width,
      }),
      new cloudwatch.GraphWidget({
        title: '2. Accepted and rejected by source',
        left: [byName(METRICS.enqueued, 'source')],
        right: [byName(METRICS.rejected, 'source')],
        width,
      }),
      new cloudwatch.GraphWidget({
        title: '3. Ingest function',
        left: [
          props.ingestFunction.metricInvocations({ statistic: 'Sum' }),
          props.ingestFunction.metricErrors({ statistic: 'Sum' }),
        ],
        right: [props.ingestFunction.metricDuration({ statistic: 'p99' })],
        width,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: '4. Queue depth and oldest message age',
        left: [
          props.queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
          props.queue.metricApproximateNumberOfMessagesNotVisible({ statistic: 'Maximum' }),
        ],
        right: [props.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' })],
        width,
      }),
      new cloudwatch.GraphWidget({
        title: '5. Processor function',
        left: [
          props.processorFunction.metricInvocations({ statistic: 'Sum' }),
          props.processorFunction.metricErrors({ statistic: 'Sum' }),
          props.processorFunction.metricThrottles({ statistic: 'Sum' }),
        ],
        right: [props.processorFunction.metricDuration({ statistic: 'p99' })],
        width,
      }),
      new cloudwatch.GraphWidget({
        title: '6. CDP outcomes',
        left: [byName(METRICS.processed, 'source'), byName(METRICS.failed, 'class')],
        right: [byName(METRICS.deadLettered, 'class')],
        width,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.SingleValueWidget({
        title: '7. Dead-letter queue',
        metrics: [
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
          props.deadLetterQueue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' }),
        ],
        width,
      }),
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [...this.alarmMap.values()],
        width: 16,
      }),
    );
    return dashboard;
  }
}
