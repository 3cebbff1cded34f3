/**
 * Fixed monthly CloudWatch cost of the pipeline's monitoring: custom metrics, alarms and the dashboard.
 * The counts follow the code: every metric × dimension combination the handlers can emit is a billed custom
 * metric, whether written as EMF (`lambdas/ingest/ports.ts`, `lambdas/processor/ports.ts`) or published by a
 * CloudWatch Logs metric filter on a function's log lines (`lambdas/shared/log-metrics.ts`: the filters
 * themselves cost nothing, and their lines are the ones the functions write anyway); no dimension takes
 * unbounded values. The alarms are those of `lib/constructs/pipeline-monitoring.ts`. Update both when
 * either changes.
 */

/** us-east-1 CloudWatch list prices (USD), noted with the rest in `cost-runner.ts`. */
export const CLOUDWATCH_PRICES = {
  /** First 10,000 metrics; prorated by the hour, so a combination only costs in hours it gets data. */
  customMetricPerMonth: 0.3,
  /** Standard-resolution alarm on one metric. */
  standardAlarmPerMonth: 0.1,
  /** Metrics Insights alarms are billed per metric the query analyses (matches), at the alarm-metric rate. */
  insightsAlarmPerMetricAnalysedPerMonth: 0.1,
  /** Beyond the 3 free dashboards (up to 50 metrics each) per account. */
  dashboardPerMonth: 3.0,
} as const;

/**
 * Custom metrics one source can produce, split into the ones healthy traffic emits every hour and the
 * ones only a failure of that kind creates (billed only in the hours it happens).
 */
export const METRICS_PER_SOURCE = {
  /** Metric filters: ingest `Enqueued`; processor `Processed`, `CdpLatency`, `DuplicateSkipped` (provider retries). */
  steady: 4,
  ingest: {
    /** `Enqueued` (metric filter), `ClaimChecked`, `EnqueueFailed` (dimension `source` only). */
    counters: 3,
    /** `Rejected` × reason: 16 verifier reasons + method, IP, size, secret unavailable, unusable payload. */
    rejectedReasons: 21,
    /** `ServerErrors` × reason: secret_unavailable, source_misconfigured, enqueue_failed, dead_letter_failed. */
    serverErrorReasons: 4,
  },
  processor: {
    /** `Processed`, `DuplicateSkipped`, `CdpLatency` (metric filters), `StaleSkipped`, `UnmappedEventType`. */
    counters: 5,
    /** `Failed` × class: 8 retryable (cdp_timeout/network/throttled/unavailable, invocation_deadline, secret_unavailable, lease_lost, internal) + 5 permanent. */
    failedClasses: 13,
    /** `Deferred` × class: in_progress, entity_busy. */
    deferredClasses: 2,
    /** `DeadLettered` × permanent class: cdp_rejected, mapping_failed, malformed_envelope, unusable_payload, claim_check_missing. */
    deadLetteredClasses: 5,
  },
} as const;

/**
 * Shared across sources under `source=unknown`: `Rejected` unknown_source, `ServerErrors` internal_error,
 * `Failed` and `DeadLettered` malformed_envelope.
 */
const UNKNOWN_SOURCE_METRICS = 4;
/** DLQ depth and age, oldest message, processor errors and throttles, ingest errors, API 5xx. */
const STANDARD_ALARMS = 7;
/** Metrics the Insights alarms analyse per source at most: 4 ServerErrors, 14 signature rejections, 13 Failed, 1 Enqueued (NoWebhooks). */
const INSIGHTS_METRICS_PER_SOURCE_MAX = 4 + 14 + 13 + 1;

export interface MonitoringMonthlyCost {
  readonly sources: number;
  readonly customMetricsPerSource: { readonly steady: number; readonly max: number };
  readonly customMetrics: { readonly steady: number; readonly max: number };
  readonly usdPerMonth: {
    readonly customMetricsSteady: number;
    readonly customMetricsMax: number;
    readonly alarmsSteady: number;
    readonly alarmsMax: number;
    readonly dashboard: number;
    readonly totalSteady: number;
    readonly totalMax: number;
  };
}

const cents = (n: number) => Math.round(n * 100) / 100;

/** Monthly monitoring cost for `sources` sources, each watched by a NoWebhooks alarm. */
export function monitoringMonthlyCost(sources: number): MonitoringMonthlyCost {
  const { ingest, processor, steady } = METRICS_PER_SOURCE;
  const max =
    ingest.counters +
    ingest.rejectedReasons +
    ingest.serverErrorReasons +
    processor.counters +
    processor.failedClasses +
    processor.deferredClasses +
    processor.deadLetteredClasses;
  const p = CLOUDWATCH_PRICES;
  const metricsSteady = sources * steady;
  const metricsMax = sources * max + UNKNOWN_SOURCE_METRICS;
  // Healthy: the failure metrics get no data, so the Insights alarms analyse only each NoWebhooks' Enqueued.
  const alarmsSteady =
    STANDARD_ALARMS * p.standardAlarmPerMonth + sources * p.insightsAlarmPerMetricAnalysedPerMonth;
  const alarmsMax =
    STANDARD_ALARMS * p.standardAlarmPerMonth +
    sources * INSIGHTS_METRICS_PER_SOURCE_MAX * p.insightsAlarmPerMetricAnalysedPerMonth;
  const usd = {
    customMetricsSteady: cents(metricsSteady * p.customMetricPerMonth),
    customMetricsMax: cents(metricsMax * p.customMetricPerMonth),
    alarmsSteady: cents(alarmsSteady),
    alarmsMax: cents(alarmsMax),
    dashboard: p.dashboardPerMonth,
  };
  return {
    sources,
    customMetricsPerSource: { steady, max },
    customMetrics: { steady: metricsSteady, max: metricsMax },
    usdPerMonth: {
      ...usd,
      totalSteady: cents(usd.customMetricsSteady + usd.alarmsSteady + usd.dashboard),
      totalMax: cents(usd.customMetricsMax + usd.alarmsMax + usd.dashboard),
    },
  };
}
