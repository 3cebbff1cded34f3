/**
 * The first thing a user runs: `npx cdk synth` through the real CDK CLI and cdk.json, with every AWS
 * credential and region variable removed, must succeed (no lookups, no Docker, local esbuild).
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

  it('synthesizes the stack through the CDK CLI', () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_SHARED_CREDENTIALS_FILE: join(out, 'none'),
      AWS_CONFIG_FILE: join(out, 'none'),
    };
    for (const name of CREDENTIAL_VARIABLES) delete env[name];
    const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', out], {
      env,
      encoding: 'utf8',
      timeout: 240_000,
    });
    assert.equal(result.status, 0, `cdk synth failed:\n${result.stderr}`);
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
