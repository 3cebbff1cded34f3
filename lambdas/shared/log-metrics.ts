/**
 * Success-path metrics as CloudWatch Logs metric filters on the one line each request and event already
 * writes, instead of an EMF line next to it. CloudWatch Logs bills every byte ingested, and an EMF line
 * (~200-300 bytes) was about half of what a healthy webhook wrote; a metric filter costs nothing (its
 * metrics are billed as custom metrics, exactly as EMF ones). Failure and rare-path metrics stay EMF.
 *
 * One definition for both sides: the handlers log with these messages and field names, and the constructs
 * (lib/constructs/webhook-function.ts) create one `AWS::Logs::MetricFilter` per entry from them, so the
 * text the function writes and the pattern the template matches cannot drift. verify:deployment evaluates
 * the synthesized filters against the functions' real lines. Each metric name comes from exactly one
 * mechanism: a name listed here is never written as EMF (the metric ports no longer offer it).
 *
 * No AWS CDK import here: the Lambda bundles load this module.
 */

/** The `message` of the lines the filters match. */
export const LOG_MESSAGES = {
  /** Ingest: one per request whose events were all durably queued. */
  webhookEnqueued: 'Webhook enqueued',
  /** Processor: one per event written to the CDP (or completed without a write left to make). */
  eventProcessed: 'Event processed',
  /** Processor: one per delivery of an event already completed. */
  duplicateAcknowledged: 'Duplicate event acknowledged',
} as const;

/** Fields of those lines the filters read (besides `message`, and `service`, which every line carries). */
export const LOG_FIELDS = {
  /** The source id: a metric dimension. */
  source: 'source',
  /** Ingest: number of events the request queued (1 for a single event). */
  events: 'events',
  /**
   * Processor: milliseconds the event spent in CDP calls during this attempt, the sum over its operations
   * (most events have one), on the line that ends the attempt ("Event processed", or the failure line when a
   * call was made). Absent when the attempt made no CDP call (duplicate, unmapped, stale, already applied).
   */
  cdpMs: 'cdpMs',
} as const;

/** The metric names produced by filters (dashboards and alarms name them through `METRICS`). */
export const LOG_METRIC_NAMES = {
  enqueued: 'Enqueued',
  processed: 'Processed',
  duplicateSkipped: 'DuplicateSkipped',
  cdpLatency: 'CdpLatency',
} as const;

/** One metric filter: a JSON filter pattern and what the metric takes from a matching line. */
export interface LogMetricFilter {
  readonly metricName: string;
  /** CloudWatch Logs JSON filter pattern (the subset verify:deployment evaluates: `=`, numeric compare, `&&`). */
  readonly filterPattern: string;
  /** `$.field` (a numeric field of the line) or a literal number. */
  readonly metricValue: string;
  readonly unit: 'Count' | 'Milliseconds';
  /** Dimension name → `$.field`; the same dimensions Powertools gave the EMF metrics (`service`, `source`). */
  readonly dimensions: Readonly<Record<string, string>>;
}

const BY_SERVICE_AND_SOURCE = { service: '$.service', source: `$.${LOG_FIELDS.source}` } as const;

const messageIs = (message: string) => `{ $.message = "${message}" }`;

/** Metric filters on the ingest function's log group. */
export const INGEST_LOG_METRICS: readonly LogMetricFilter[] = [
  {
    metricName: LOG_METRIC_NAMES.enqueued,
    filterPattern: messageIs(LOG_MESSAGES.webhookEnqueued),
    metricValue: `$.${LOG_FIELDS.events}`,
    unit: 'Count',
    dimensions: BY_SERVICE_AND_SOURCE,
  },
];

/** Metric filters on the processor function's log group. */
export const PROCESSOR_LOG_METRICS: readonly LogMetricFilter[] = [
  {
    metricName: LOG_METRIC_NAMES.processed,
    filterPattern: messageIs(LOG_MESSAGES.eventProcessed),
    metricValue: '1',
    unit: 'Count',
    dimensions: BY_SERVICE_AND_SOURCE,
  },
  {
    metricName: LOG_METRIC_NAMES.duplicateSkipped,
    filterPattern: messageIs(LOG_MESSAGES.duplicateAcknowledged),
    metricValue: '1',
    unit: 'Count',
    dimensions: BY_SERVICE_AND_SOURCE,
  },
  {
    metricName: LOG_METRIC_NAMES.cdpLatency,
    // Any line carrying it: success and failure lines alike (a slow CDP shows in failures first).
    filterPattern: `{ $.${LOG_FIELDS.cdpMs} >= 0 }`,
    metricValue: `$.${LOG_FIELDS.cdpMs}`,
    unit: 'Milliseconds',
    dimensions: BY_SERVICE_AND_SOURCE,
  },
];
