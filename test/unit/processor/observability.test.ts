import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { PowertoolsProcessorMetrics } from '../../../lambdas/processor/observability';

describe('processor metrics on Powertools', () => {
  it('emits each data point on its own with source, event type and (for failures) class dimensions', () => {
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
    metrics.record('Processed', { source: 'stripe', eventType: 'invoice.payment_succeeded' });
    metrics.record('Failed', { source: 'stripe', eventType: 'x', class: 'cdp_throttled' });
    metrics.record('CdpLatency', { source: 'shopify', eventType: 'orders/create' }, 42);
    assert.deepEqual(emitted, [
      {
        dimensions: { source: 'stripe', eventType: 'invoice.payment_succeeded' },
        name: 'Processed',
        unit: MetricUnit.Count,
        value: 1,
      },
      {
        dimensions: { source: 'stripe', eventType: 'x', class: 'cdp_throttled' },
        name: 'Failed',
        unit: MetricUnit.Count,
        value: 1,
      },
      {
        dimensions: { source: 'shopify', eventType: 'orders/create' },
        name: 'CdpLatency',
        unit: MetricUnit.Milliseconds,
        value: 42,
      },
    ]);
  });
});
