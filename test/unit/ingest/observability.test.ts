import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PowertoolsIngestMetrics, powertoolsIngestLogger } from '../../../lambdas/ingest/aws-ports';
import { createObservability, METRICS_NAMESPACE, SERVICE_NAMES } from '../../../lambdas/shared/observability';
import { METRICS } from '../../../lib/resource-definitions';
import { captureStdout } from '../../support/capture-stdout';

interface EmfLine {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
}

describe('shared observability, outside Lambda', () => {
  it('emits one EMF line per invocation with the source dimension, plus one per rejection reason', () => {
    // Powertools reads its switches from the process environment; this file's process starts without them.
    assert.equal(process.env.POWERTOOLS_METRICS_DISABLED, undefined);
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.POWERTOOLS_SERVICE_NAME;
    delete env.POWERTOOLS_METRICS_NAMESPACE;
    const lines = captureStdout(() => {
      const { metrics } = createObservability(SERVICE_NAMES.ingest, env);
      const port = new PowertoolsIngestMetrics(metrics);
      port.count('ClaimChecked', 'stripe');
      port.count('Rejected', 'stripe', 1, 'signature_mismatch');
      port.flush();
      port.count('EnqueueFailed', 'hubspot', 100);
      port.flush();
      // Nothing recorded: flushing must not emit an empty line (or warn).
      port.flush();
    });
    const emf = lines.map((l) => JSON.parse(l) as EmfLine).filter((l) => l._aws);
    assert.equal(emf.length, 3);
    const [rejected, first, second] = emf;
    assert.equal(rejected?._aws.CloudWatchMetrics[0]?.Namespace, METRICS_NAMESPACE);
    assert.deepEqual(rejected?._aws.CloudWatchMetrics[0]?.Dimensions, [['service', 'source', 'reason']]);
    assert.equal(rejected?.reason, 'signature_mismatch');
    assert.equal(first?.source, 'stripe');
    assert.equal(first?.service, 'webhook-ingest');
    assert.equal(first?.ClaimChecked, 1);
    assert.equal(second?.source, 'hubspot');
    assert.equal(second?.EnqueueFailed, 100);
    assert.deepEqual(second?._aws.CloudWatchMetrics[0]?.Dimensions, [['service', 'source']]);
  });

  it('emits ServerErrors per 5xx answer with the source and the error code as dimensions', () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.POWERTOOLS_SERVICE_NAME;
    delete env.POWERTOOLS_METRICS_NAMESPACE;
    const lines = captureStdout(() => {
      const { metrics } = createObservability(SERVICE_NAMES.ingest, env);
      const port = new PowertoolsIngestMetrics(metrics);
      port.count('ServerErrors', 'stripe', 1, 'source_misconfigured');
      port.flush();
    });
    const [line] = lines.map((l) => JSON.parse(l) as EmfLine).filter((l) => l._aws);
    const directive = line?._aws.CloudWatchMetrics[0];
    assert.equal(directive?.Namespace, METRICS.namespace);
    assert.deepEqual(
      directive?.Metrics.map((m) => m.Name),
      [METRICS.serverErrors],
    );
    assert.deepEqual(directive?.Dimensions, [['service', 'source', 'reason']]);
    assert.equal(line?.ServerErrors, 1);
    assert.equal(line?.source, 'stripe');
    assert.equal(line?.reason, 'source_misconfigured');
  });

  it('logs structured JSON with the service name and the attributes given', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, POWERTOOLS_LOG_LEVEL: 'INFO' };
    delete env.POWERTOOLS_SERVICE_NAME;
    const saved = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    try {
      const lines = captureStdout(() => {
        const { logger } = createObservability(SERVICE_NAMES.processor, env);
        powertoolsIngestLogger(logger).info('Event enqueued', { correlation_id: 'stripe:evt_1' });
      });
      const line = JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>;
      assert.equal(line.message, 'Event enqueued');
      assert.equal(line.service, 'webhook-processor');
      assert.equal(line.correlation_id, 'stripe:evt_1');
    } finally {
      if (saved === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
      else process.env.POWERTOOLS_LOG_LEVEL = saved;
    }
  });

  it('keeps the invocation id and drops the keys every line of a log group repeats (billed bytes)', () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.POWERTOOLS_SERVICE_NAME;
    const saved = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    try {
      const lines = captureStdout(() => {
        const { logger } = createObservability(SERVICE_NAMES.ingest, env);
        logger.addContext({
          awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
          functionName: 'Stack-IngestFunction-AbCdEf123456',
          invokedFunctionArn:
            'arn:aws:lambda:us-east-1:123456789012:function:Stack-IngestFunction-AbCdEf123456',
          memoryLimitInMB: '512',
          functionVersion: '$LATEST',
          logGroupName: '/aws/lambda/x',
          logStreamName: 'x',
          callbackWaitsForEmptyEventLoop: true,
          getRemainingTimeInMillis: () => 1000,
          done: () => undefined,
          fail: () => undefined,
          succeed: () => undefined,
        });
        logger.info('Webhook enqueued', { source: 'stripe', dedupeKey: 'stripe:evt_1' });
        logger.error('Enqueue failed', { source: 'stripe', dedupeKey: 'stripe:evt_2' });
      });
      const [info, error] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      // The success path's line is keyed by its dedupe key; failures carry the invocation id as well.
      assert.equal(info?.requestId, undefined);
      const line = error ?? {};
      // cold_start appears only on a container's first line (earlier tests in this process took it).
      assert.deepEqual(
        Object.keys(line)
          .filter((k) => k !== 'cold_start')
          .sort(),
        ['dedupeKey', 'level', 'message', 'requestId', 'service', 'source', 'timestamp'],
      );
      assert.equal(line.requestId, 'c6af9ac6-7b61-11e6-9a41-93e812345678');
      assert.equal(line.level, 'ERROR');
    } finally {
      if (saved === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
      else process.env.POWERTOOLS_LOG_LEVEL = saved;
    }
  });
});
