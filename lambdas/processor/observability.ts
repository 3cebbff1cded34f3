/**
 * The processor's metrics on the pipeline's shared Powertools setup (`lambdas/shared/observability.ts`).
 * Every data point carries the source (and the failure class where relevant), never the event type: each
 * dimension combination is a billed custom metric and event types are unbounded (log lines carry them).
 *
 * Points are aggregated over the invocation and written by {@link PowertoolsProcessorMetrics.flush} as one
 * EMF line per dimension combination (a batch mixes sources): EMF lines are CloudWatch Logs ingestion too,
 * and a line per point cost about 300 bytes per point, several per event. Counts are summed; `CdpLatency`
 * keeps each value (EMF takes an array of up to 100 values per metric; Powertools publishes early past it).
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricDimensions, ProcessorMetricName, ProcessorMetrics } from './ports';

interface Pending {
  readonly dimensions: MetricDimensions;
  readonly counts: Map<ProcessorMetricName, number>;
  readonly latencies: number[];
}

/** {@link ProcessorMetrics} on Powertools Metrics (EMF, no API calls); call {@link flush} once per invocation. */
export class PowertoolsProcessorMetrics implements ProcessorMetrics {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly metrics: Metrics) {}

  record(name: ProcessorMetricName, dimensions: MetricDimensions, value = 1): void {
    const key = `${dimensions.source}\u0000${dimensions.class ?? ''}`;
    let entry = this.pending.get(key);
    if (!entry) {
      entry = { dimensions, counts: new Map(), latencies: [] };
      this.pending.set(key, entry);
    }
    if (name === 'CdpLatency') entry.latencies.push(value);
    else entry.counts.set(name, (entry.counts.get(name) ?? 0) + value);
  }

  /** Writes what the invocation recorded: one EMF line per dimension combination. */
  flush(): void {
    for (const { dimensions, counts, latencies } of this.pending.values()) {
      this.metrics.addDimension('source', dimensions.source);
      if (dimensions.class) this.metrics.addDimension('class', dimensions.class);
      for (const [name, count] of counts) this.metrics.addMetric(name, MetricUnit.Count, count);
      for (const ms of latencies) this.metrics.addMetric('CdpLatency', MetricUnit.Milliseconds, ms);
      this.metrics.publishStoredMetrics();
    }
    this.pending.clear();
  }
}
