/**
 * The L3 construct as another team uses it: placed in their own stack, under their own id, next to their
 * own resources, wired through its public surface; invalid props list every problem at once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { PipelineConfigError } from '../../lib/config';
import { WebhookPipeline } from '../../lib/webhook-pipeline';
import { TEST_CONFIG } from './support';

function hostStack(): Stack {
  // No bundling: asset contents are irrelevant to the template (the cdk-nag test bundles once).
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new Stack(app, 'PlatformStack');
}

describe('WebhookPipeline construct', () => {
  it('synthesizes inside another app stack, beside its resources, under its own id', () => {
    const stack = hostStack();
    new sqs.Queue(stack, 'TheirQueue', { enforceSSL: true });
    const pipeline = new WebhookPipeline(stack, 'Webhooks', TEST_CONFIG);
    new CfnOutput(stack, 'StripeUrl', { value: pipeline.webhookUrl('stripe') });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 3);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    const tables = Object.keys(template.findResources('AWS::DynamoDB::Table'));
    assert.match(tables[0] ?? '', /^WebhooksStateTable/, 'logical ids carry the construct id');
    assert.ok(template.findOutputs('StripeUrl').StripeUrl, 'the per-source URL is usable in the host stack');
  });

  it('exposes what other stacks wire to', () => {
    const pipeline = new WebhookPipeline(hostStack(), 'Webhooks', TEST_CONFIG);
    assert.equal(pipeline.queue, pipeline.queues.queue);
    assert.equal(pipeline.deadLetterQueue, pipeline.queues.deadLetterQueue);
    assert.equal(pipeline.table, pipeline.stateTable.table);
    assert.equal(pipeline.claimCheckBucket, pipeline.claimCheck.bucket);
    assert.equal(pipeline.alarmTopic, pipeline.monitoring.topic);
    assert.equal(pipeline.ingestFunction, pipeline.ingest.function);
    assert.equal(pipeline.processorFunction, pipeline.processor.function);
    assert.equal(pipeline.cdpApiKeySecret, pipeline.secrets.cdpApiKey);
    assert.equal(typeof pipeline.webhookBaseUrl, 'string');
    for (const source of TEST_CONFIG.sources) {
      assert.equal(typeof pipeline.webhookUrl(source.id), 'string');
      assert.ok(pipeline.sourceSecret(source.id).secretArn);
    }
    assert.throws(() => pipeline.webhookUrl('nope'), /No source nope/);
    assert.throws(() => pipeline.sourceSecret('nope'), /No source nope/);
  });

  it('lists every problem of invalid props at once', () => {
    assert.throws(
      () =>
        new WebhookPipeline(hostStack(), 'Webhooks', {
          ...TEST_CONFIG,
          waf: { rateLimitPer5Minutes: 100 },
          logRetentionDays: 4,
        }),
      (error: unknown) => {
        assert.ok(error instanceof PipelineConfigError);
        assert.ok(error.problems.some((p) => p.includes('waf applies only')));
        assert.ok(error.problems.some((p) => p.includes('logRetentionDays')));
        return true;
      },
    );
  });
});
