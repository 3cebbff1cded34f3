/**
 * The processor's EMF metrics on the pipeline's shared Powertools setup (`lambdas/shared/observability.ts`):
 * failure and rare paths only (`Processed`, `DuplicateSkipped` and `CdpLatency` are metric filters on the
 * event's log line, lambdas/shared/log-metrics.ts). Every data point carries the source (and the failure
 * class where relevant), never the event type: each dimension combination is a billed custom metric and
 * event types are unbounded (log lines carry them).
 *
 * Points are aggregated over the invocation and written by {@link PowertoolsProcessorMetrics.flush} as one
 * EMF line per dimension combination (a batch mixes sources): EMF lines are CloudWatch Logs ingestion too,
 * and a line per point cost about 300 bytes per point. Counts are summed.
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricDimensions, ProcessorMetricName, ProcessorMetrics } from './ports';

interface Pending {
  readonly dimensions: MetricDimensions;
  readonly counts: Map<ProcessorMetricName, number>;
}

/** {@link ProcessorMetrics} on Powertools Metrics (EMF, no API calls); call {@link flush} once per invocation. */
export class PowertoolsProcessorMetrics implements ProcessorMetrics {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly metrics: Metrics) {}

  record(name: ProcessorMetricName, dimensions: MetricDimensions, value = 1): void {
    const key = `${dimensions.source}\u0000${dimensions.class ?? ''}`;
    let entry = this.pending.get(key);
    if (!entry) {
      entry = { dimensions, counts: new Map() };
      this.pending.set(key, entry);
    }
    entry.counts.set(name, (entry.counts.get(name) ?? 0) + value);
  }

  /** Writes what the invocation recorded: one EMF line per dimension combination (none if nothing was). */
  flush(): void {
    for (const { dimensions, counts } of this.pending.values()) {
      this.metrics.addDimension('source', dimensions.source);
      if (dimensions.class) this.metrics.addDimension('class', dimensions.class);
      for (const [name, count] of counts) this.metrics.addMetric(name, MetricUnit.Count, count);
      this.metrics.publishStoredMetrics();
    }
    this.pending.clear();
  }
}
