/**
 * Termination protection: on unless the configuration turns it off, written to the cloud assembly (the
 * CDK CLI applies it to the CloudFormation stack on deploy), and an explicit StackProps value wins.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import type { PipelineConfig } from '../../lib/config';
import { WebhookPipelineStack } from '../../lib/webhook-pipeline-stack';
import { synthesize, TEST_CONFIG } from './support';

function assemblyProtection(config: PipelineConfig): boolean {
  const { stack } = synthesize(config);
  const assembly = (stack.node.root as App).synth();
  return assembly.getStackByName(stack.stackName).terminationProtection === true;
}

describe('terminationProtection', () => {
  it('is on by default, in the cloud assembly the CDK CLI deploys', () => {
    assert.equal(assemblyProtection(TEST_CONFIG), true);
  });

  it('is off when the configuration says terminationProtection: false', () => {
    assert.equal(assemblyProtection({ ...TEST_CONFIG, terminationProtection: false }), false);
  });

  it('follows an explicit StackProps value over the configuration', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new WebhookPipelineStack(app, 'Unprotected', {
      config: TEST_CONFIG,
      terminationProtection: false,
    });
    assert.equal(stack.terminationProtection, false);
  });
});
