/**
 * The first thing a user runs: `npx cdk synth` through the real CDK CLI and cdk.json, with every AWS
 * credential and region variable removed, must succeed (no lookups, no Docker, local esbuild) and print
 * no feature-flag warning; `-c stage=<name>` picks a stage the same way.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ENDPOINT_URL_SQS',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
];

describe('npx cdk synth with no AWS credentials', () => {
  const out = mkdtempSync(join(tmpdir(), 'cdk-synth-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  function cdkSynth(...args: string[]): { status: number | null; output: string } {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_SHARED_CREDENTIALS_FILE: join(out, 'none'),
      AWS_CONFIG_FILE: join(out, 'none'),
    };
    for (const name of CREDENTIAL_VARIABLES) delete env[name];
    const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', out, ...args], {
      env,
      encoding: 'utf8',
      timeout: 240_000,
    });
    return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
  }

  it('synthesizes the stack through the CDK CLI, with no feature-flag warning', () => {
    const result = cdkSynth();
    assert.equal(result.status, 0, `cdk synth failed:\n${result.output}`);
    // cdk.json sets every recommended flag (test/infra/feature-flags.test.ts); the CLI would otherwise
    // print "N feature flags are not configured".
    assert.doesNotMatch(result.output, /feature flags? (are|is) not configured/i);
    assert.doesNotMatch(result.output, /feature flag/i, 'no feature-flag message of any kind');
    const templatePath = join(out, 'WebhookPipeline.template.json');
    assert.ok(existsSync(templatePath), 'no WebhookPipeline template written');
    const template = JSON.parse(readFileSync(templatePath, 'utf8')) as {
      Resources: Record<string, { Type: string }>;
    };
    const types = new Set(Object.values(template.Resources).map((r) => r.Type));
    for (const type of [
      'AWS::Lambda::Function',
      'AWS::SQS::Queue',
      'AWS::DynamoDB::Table',
      'AWS::S3::Bucket',
    ]) {
      assert.ok(types.has(type), `template has no ${type}`);
    }
  });
});

describe('npx cdk synth -c stage=<name>', () => {
  const out = mkdtempSync(join(tmpdir(), 'cdk-synth-stage-'));
  after(() => rmSync(out, { recursive: true, force: true }));
  const synth = (stage: string) =>
    spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', out, '-c', `stage=${stage}`], {
      encoding: 'utf8',
      timeout: 240_000,
    });

  it('synthesizes the named stage under its own stack name', () => {
    const result = synth('dev');
    assert.equal(result.status, 0, `cdk synth -c stage=dev failed:\n${result.stderr}`);
    assert.ok(existsSync(join(out, 'WebhookPipeline-dev.template.json')), 'no WebhookPipeline-dev template');
    assert.ok(
      !existsSync(join(out, 'WebhookPipeline.template.json')),
      'the default stage was synthesized too',
    );
  });

  it('stops on an unknown stage, listing the declared ones', () => {
    const result = synth('staging');
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /unknown stage "staging": choose one of prod, dev/);
  });
});
