/**
 * The processor's metrics on the pipeline's shared Powertools setup (`lambdas/shared/observability.ts`).
 * Every data point carries the source (and the failure class where relevant), never the event type: each
 * dimension combination is a billed custom metric and event types are unbounded (log lines carry them). A
 * batch mixes sources, so each point is emitted as its own EMF line (`singleMetric`) with its own dimensions.
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricDimensions, ProcessorMetricName, ProcessorMetrics } from './ports';

/** {@link ProcessorMetrics} on Powertools Metrics (EMF, no API calls). */
export class PowertoolsProcessorMetrics implements ProcessorMetrics {
  constructor(private readonly metrics: Metrics) {}

  record(name: ProcessorMetricName, dimensions: MetricDimensions, value = 1): void {
    const single = this.metrics.singleMetric();
    single.addDimensions({
      source: dimensions.source,
      ...(dimensions.class ? { class: dimensions.class } : {}),
    });
    single.addMetric(name, name === 'CdpLatency' ? MetricUnit.Milliseconds : MetricUnit.Count, value);
  }
}
