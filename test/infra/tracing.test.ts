/**
 * Tracing is opt-in (issue 15, item 8): off by default (no TracingConfig, no X-Ray permissions, the tracer
 * not even in the bundle); `tracing: true` turns on active tracing, the X-Ray write permissions and the
 * handlers' switch on both functions, bundles the tracer, and still passes cdk-nag.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TRACING_ENV } from '../../lambdas/shared/tracing';
import { createApp } from '../../lib/app';
import { bundleCodeFiles, statementsOfRole, synthesize, TEST_CONFIG } from './support';

const ROLES = ['IngestFunctionRole', 'ProcessorFunctionRole'];

function xrayActions(statements: { Action: string | string[] }[]): string[] {
  return statements.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('xray:'));
}

/** The bundle folder of each function (real esbuild bundling, as `cdk deploy` ships it). */
function bundles(tracing: boolean): string[] {
  const { app, stack } = createApp({ config: { ...TEST_CONFIG, tracing } });
  const assembly = app.synth();
  const template = assembly.getStackArtifact(stack.artifactId).template as {
    Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string } } }>;
  };
  return Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::Lambda::Function')
    .map((fn) => join(assembly.directory, `asset.${fn.Properties.Code?.S3Key?.replace(/\.zip$/, '')}`));
}

/** Code only the tracer bundle holds: the X-Ray SDK's segment class and the Powertools Tracer. */
const TRACER_CODE = /AWSXRay|aws-xray-sdk|PutTraceSegments|## Dummy segment/;

describe('tracing (opt-in X-Ray)', () => {
  it('is off by default: no TracingConfig, no switch, no X-Ray permissions', () => {
    const { template } = synthesize(TEST_CONFIG);
    const functions = template.findResources('AWS::Lambda::Function');
    assert.equal(Object.keys(functions).length, 2);
    for (const [id, fn] of Object.entries(functions)) {
      const props = fn.Properties as { TracingConfig?: unknown; Environment: { Variables: object } };
      assert.equal(props.TracingConfig, undefined, `${id} has a TracingConfig`);
      assert.equal(TRACING_ENV in props.Environment.Variables, false, `${id} has ${TRACING_ENV}`);
    }
    for (const role of ROLES) assert.deepEqual(xrayActions(statementsOfRole(template, role)), [], role);
  });

  it('on: active tracing, the switch and the X-Ray write permissions on both functions', () => {
    const { template } = synthesize({ ...TEST_CONFIG, tracing: true });
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      {
        TracingConfig: { Mode: 'Active' },
        Environment: { Variables: Match.objectLike({ [TRACING_ENV]: 'true' }) },
      },
      2,
    );
    for (const role of ROLES) {
      const actions = xrayActions(statementsOfRole(template, role));
      assert.ok(actions.includes('xray:PutTraceSegments'), `${role}: ${actions.join(', ')}`);
      assert.ok(actions.includes('xray:PutTelemetryRecords'), `${role}: ${actions.join(', ')}`);
    }
  });

  it('on: passes every AwsSolutions rule (the X-Ray actions take no resource ARN)', () => {
    const { app } = createApp({
      config: { ...TEST_CONFIG, tracing: true },
      appProps: { context: { 'aws:cdk:bundling-stacks': [] } },
    });
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app);
    assert.deepEqual(
      report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId)}`),
      [],
    );
  });

  it('the default bundles leave the tracer out; the tracing bundles include it', () => {
    const off = bundles(false);
    const on = bundles(true);
    assert.equal(off.length, 2);
    assert.equal(on.length, 2);
    // Every output file: with code splitting, the tracer would sit in a chunk, not in index.mjs.
    const files = (dir: string) => bundleCodeFiles(dir).map((file) => join(dir, file));
    for (const dir of off) {
      for (const file of files(dir)) {
        assert.doesNotMatch(readFileSync(file, 'utf8'), TRACER_CODE, `${file} bundles the tracer`);
      }
      // The dynamic import stays, unresolved, for a bundle built with tracing on (in whichever file holds
      // tracing.ts: shared with the S3 chunk, it may be a chunk).
      assert.ok(
        files(dir).some((file) =>
          readFileSync(file, 'utf8').includes('import("@aws-lambda-powertools/tracer")'),
        ),
        `${dir}: no file imports the tracer dynamically`,
      );
    }
    for (const dir of on) {
      assert.ok(
        files(dir).some((file) => TRACER_CODE.test(readFileSync(file, 'utf8'))),
        `${dir} lacks the tracer`,
      );
    }
    const size = (dirs: string[]) => dirs.flatMap(files).reduce((sum, f) => sum + statSync(f).size, 0);
    assert.ok(size(on) > size(off), 'the tracing bundles are larger');
  });
});
