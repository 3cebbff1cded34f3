import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { PowertoolsProcessorMetrics } from '../../../lambdas/processor/observability';
import { createObservability, SERVICE_NAMES } from '../../../lambdas/shared/observability';
import { captureStdout } from '../../support/capture-stdout';

interface EmfLine {
  _aws: {
    CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [key: string]: unknown;
}

describe('processor metrics on Powertools', () => {
  it('writes one EMF line per source (and failure class) per flush, never the unbounded event type', () => {
    assert.equal(process.env.POWERTOOLS_METRICS_DISABLED, undefined);
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.POWERTOOLS_SERVICE_NAME;
    const lines = captureStdout(() => {
      const metrics = new PowertoolsProcessorMetrics(
        createObservability(SERVICE_NAMES.processor, env).metrics,
      );
      metrics.record('StaleSkipped', { source: 'stripe' });
      metrics.record('UnmappedEventType', { source: 'stripe' });
      metrics.record('StaleSkipped', { source: 'stripe' });
      metrics.record('Failed', { source: 'stripe', class: 'cdp_throttled' });
      metrics.record('StaleSkipped', { source: 'shopify' });
      metrics.flush();
      // Nothing recorded since: no line (and no warning).
      metrics.flush();
    });
    const emf = lines.map((l) => JSON.parse(l) as EmfLine).filter((l) => l._aws);
    assert.equal(emf.length, 3);
    const [stripe, failed, shopify] = emf;
    assert.deepEqual(stripe?._aws.CloudWatchMetrics[0]?.Dimensions, [['service', 'source']]);
    assert.equal(stripe?.source, 'stripe');
    assert.equal(stripe?.StaleSkipped, 2);
    assert.equal(stripe?.UnmappedEventType, 1);
    assert.equal(
      stripe?._aws.CloudWatchMetrics[0]?.Metrics.find((m) => m.Name === 'StaleSkipped')?.Unit,
      MetricUnit.Count,
    );
    assert.deepEqual(failed?._aws.CloudWatchMetrics[0]?.Dimensions, [['service', 'source', 'class']]);
    assert.equal(failed?.class, 'cdp_throttled');
    assert.equal(failed?.Failed, 1);
    assert.equal(shopify?.source, 'shopify');
    assert.equal(shopify?.StaleSkipped, 1);
    for (const line of emf) {
      assert.equal(line.service, 'webhook-processor');
      assert.equal(line.eventType, undefined);
    }
  });
});
