import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { PowertoolsProcessorMetrics } from '../../../lambdas/processor/observability';

describe('processor metrics on Powertools', () => {
  it('emits each data point on its own with source and (for failures) class dimensions, never the unbounded event type', () => {
    const emitted: { dimensions: Record<string, string>; name: string; unit: string; value: number }[] = [];
    const fake = {
      singleMetric() {
        const point = { dimensions: {} as Record<string, string>, name: '', unit: '', value: 0 };
        const single = {
          addDimensions(d: Record<string, string>) {
            point.dimensions = { ...d };
            return single;
          },
          addMetric(name: string, unit: string, value: number) {
            Object.assign(point, { name, unit, value });
            emitted.push(point);
            return single;
          },
        };
        return single;
      },
    } as unknown as Metrics;
    const metrics = new PowertoolsProcessorMetrics(fake);
    metrics.record('Processed', { source: 'stripe' });
    metrics.record('Failed', { source: 'stripe', class: 'cdp_throttled' });
    metrics.record('CdpLatency', { source: 'shopify' }, 42);
    assert.deepEqual(emitted, [
      {
        dimensions: { source: 'stripe' },
        name: 'Processed',
        unit: MetricUnit.Count,
        value: 1,
      },
      {
        dimensions: { source: 'stripe', class: 'cdp_throttled' },
        name: 'Failed',
        unit: MetricUnit.Count,
        value: 1,
      },
      {
        dimensions: { source: 'shopify' },
        name: 'CdpLatency',
        unit: MetricUnit.Milliseconds,
        value: 42,
      },
    ]);
  });
});
