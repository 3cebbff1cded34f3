/**
 * cdk.json sets every feature flag aws-cdk-lib recommends (so `cdk synth` warns about none; the CLI check
 * itself is in cdk-synth-cli.test.ts), and adopting them replaced nothing that holds data or is registered
 * with providers: the stateful resources are identical under the flags deployed stacks were created with.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { createApp } from '../../lib/app';
import type { PipelineConfig } from '../../lib/config';
import { pipelineConfig } from '../../lib/pipeline-config';
import { CDK_JSON_CONTEXT } from './support';

const require = createRequire(import.meta.url);
const RECOMMENDED = JSON.parse(
  readFileSync(require.resolve('aws-cdk-lib/recommended-feature-flags.json'), 'utf8'),
) as Record<string, unknown>;

/**
 * Flags kept at another value than recommended, each with the reason (README, Deploy). Empty: no
 * recommended flag replaces a stateful resource of this stack (CHANGELOG 0.2.0 lists what they change).
 */
const KEPT_OLD_BEHAVIOUR: Record<string, string> = {};

/** cdk.json's context before the recommended flags were adopted: what deployed stacks were created with. */
const CONTEXT_BEFORE_FLAGS = {
  '@aws-cdk/aws-lambda:recognizeLayerVersion': true,
  '@aws-cdk/core:checkSecretUsage': true,
  '@aws-cdk/core:target-partitions': ['aws', 'aws-cn'],
  '@aws-cdk/aws-iam:minimizePolicies': true,
  '@aws-cdk/core:validateSnapshotRemovalPolicy': true,
  '@aws-cdk/aws-s3:createDefaultLoggingPolicy': true,
  '@aws-cdk/aws-apigateway:disableCloudWatchRole': true,
  '@aws-cdk/core:enablePartitionLiterals': true,
  '@aws-cdk/aws-lambda-nodejs:useLatestRuntimeVersion': true,
  '@aws-cdk/aws-sqs:enforceSslOnQueues': true,
};

/** What holds data or is registered with providers: a replacement of any of these is an incident. */
const STATEFUL_TYPES = [
  'AWS::DynamoDB::Table',
  'AWS::S3::Bucket',
  'AWS::SQS::Queue',
  'AWS::SecretsManager::Secret',
  'AWS::SNS::Topic',
  'AWS::ApiGatewayV2::Api',
  'AWS::ApiGateway::RestApi',
  'AWS::ApiGatewayV2::DomainName',
  'AWS::ApiGateway::DomainName',
  'AWS::Lambda::Url',
];

type Resources = Record<string, { Type: string; Properties?: unknown }>;

function resources(config: PipelineConfig, context: Record<string, unknown>): Resources {
  const { app, stack } = createApp({
    config,
    appProps: { context: { ...context, 'aws:cdk:bundling-stacks': [] } },
  });
  return (app.synth().getStackArtifact(stack.artifactId).template as { Resources: Resources }).Resources;
}

describe('feature flags (cdk.json)', () => {
  it('sets every recommended flag to its recommended value, apart from the documented exceptions', () => {
    const differing = Object.entries(RECOMMENDED)
      .filter(([flag, value]) => JSON.stringify(CDK_JSON_CONTEXT[flag]) !== JSON.stringify(value))
      .map(([flag]) => flag)
      .filter((flag) => !(flag in KEPT_OLD_BEHAVIOUR));
    assert.deepEqual(
      differing,
      [],
      'set these in cdk.json (after checking the template diff) or document why not',
    );
    for (const flag of Object.keys(KEPT_OLD_BEHAVIOUR)) assert.ok(flag in CDK_JSON_CONTEXT, flag);
  });

  for (const frontDoor of ['http-api', 'rest-api', 'function-url'] as const) {
    it(`leaves every stateful resource as deployed stacks have it (${frontDoor})`, () => {
      const config: PipelineConfig = {
        ...pipelineConfig,
        frontDoor,
        alarms: { email: 'oncall@example.com' },
      };
      const before = resources(config, CONTEXT_BEFORE_FLAGS);
      const after = resources(config, CDK_JSON_CONTEXT);
      for (const [logicalId, resource] of Object.entries(before)) {
        if (!STATEFUL_TYPES.includes(resource.Type)) continue;
        assert.deepEqual(
          after[logicalId],
          resource,
          `${resource.Type} ${logicalId} changes under the cdk.json flags: check whether that replaces it`,
        );
      }
    });
  }
});
