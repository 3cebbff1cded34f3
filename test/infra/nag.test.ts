import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { type App, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { createApp } from '../../lib/app';
import { ESM_REQUIRE_BANNER } from '../../lib/constructs/webhook-function';
import { pipelineConfig } from '../../lib/pipeline-config';
import type { WebhookPipelineStack } from '../../lib/webhook-pipeline-stack';
import { bundleCodeFiles, TEST_CONFIG, testAppProps } from './support';

function acknowledgments(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((node) =>
    node.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: node.node.path,
          id,
          reason,
        })),
      ),
  );
}

describe('the CDK app as deployed (lib/pipeline-config.ts, real esbuild bundling)', () => {
  let app: App;
  let stack: WebhookPipelineStack;
  let assembly: CloudAssembly;
  before(() => {
    ({ app, stack } = createApp({ config: pipelineConfig, appProps: testAppProps({ bundle: true }) }));
    assembly = app.synth();
  });

  it('passes every AwsSolutions rule (no unacknowledged violation)', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app);
    assert.deepEqual(
      report.violations.map(
        (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`,
      ),
      [],
    );
    assert.equal(report.success, true);
  });

  it('has no error annotations (cdk-nag, house function check or CDK itself)', () => {
    assert.deepEqual(Annotations.fromStack(stack).findError('*', Match.anyValue()), []);
  });

  it('gives a written reason for every acknowledged rule', () => {
    const acks = acknowledgments(app);
    assert.ok(acks.length > 0);
    for (const ack of acks) {
      assert.ok(ack.reason.trim().length >= 40, `${ack.path} ${ack.id}: reason too short: "${ack.reason}"`);
    }
  });

  it('bundles each handler as minified ESM with the require shim and a source map', () => {
    const template = assembly.getStackArtifact(stack.artifactId).template as {
      Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string } } }>;
    };
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    assert.equal(functions.length, 2);
    for (const fn of functions) {
      const hash = fn.Properties.Code?.S3Key?.replace(/\.zip$/, '');
      assert.ok(hash, 'function has no asset');
      const dir = join(assembly.directory, `asset.${hash}`);
      const files = bundleCodeFiles(dir);
      assert.ok(files.includes('index.mjs'), `no index.mjs in ${dir}`);
      // Code splitting: the S3 client is a chunk of its own, loaded only for claim-checked bodies.
      assert.ok(
        files.some((f) => /^chunks\/s3-client-[A-Z0-9]+\.mjs$/.test(f)),
        `no S3 client chunk: ${files.join(', ')}`,
      );
      for (const file of files) {
        // Each output file is its own module: each needs the shim (a chunk may hold the CommonJS code).
        const code = readFileSync(join(dir, file), 'utf8');
        assert.ok(
          code.startsWith(ESM_REQUIRE_BANNER),
          `${file} does not start with the createRequire banner`,
        );
        assert.ok(existsSync(join(dir, `${file}.map`)), `${file}: source map missing`);
      }
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      // Minified output is a few very long lines (template literals keep their own line breaks).
      assert.ok(code.length / code.split('\n').length > 1000, 'bundle is not minified');
    }
  });
});

describe('cdk-nag on the Function URL front door', () => {
  it('passes every AwsSolutions rule', () => {
    const { app } = createApp({
      config: { ...TEST_CONFIG, frontDoor: 'function-url' },
      appProps: testAppProps(),
    });
    const report = new AwsSolutionsChecks().validateScope(app);
    assert.deepEqual(
      report.violations.map((v) => v.ruleName),
      [],
    );
  });
});

describe('cdk-nag on the REST API front door with WAF', () => {
  it('passes every AwsSolutions rule', () => {
    const { app } = createApp({
      config: { ...TEST_CONFIG, frontDoor: 'rest-api', waf: { allowedCidrs: ['192.0.2.0/24'] } },
      appProps: testAppProps(),
    });
    const report = new AwsSolutionsChecks().validateScope(app);
    assert.deepEqual(
      report.violations.map((v) => v.ruleName),
      [],
    );
  });
});
