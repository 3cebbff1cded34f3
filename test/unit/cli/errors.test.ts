/**
 * The CLI's error paths: each common failure ends in one line saying what is wrong, one hint saying what to
 * do, exit code 1 and no stack trace (unless --debug). No region, no credentials and an expired SSO session
 * run the REAL SDK credential and region chains against a scratch ~/.aws; the service errors (unknown
 * stack, missing queue/table, expired token, access denied) are stubbed with aws-sdk-client-mock in the
 * shapes the SDK deserializes them to.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import {
  GetQueueAttributesCommand,
  QueueDoesNotExist,
  SQSClient,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { explainAwsError, queueUrlParts, withRequestContext } from '../../../cli/aws-errors';
import { defaultClients } from '../../../cli/clients';
import { packageVersion, runCli } from '../../../cli/program';
import type { Terminal } from '../../../cli/terminal';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const terminal: Terminal = {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    progressStream: undefined,
    interactive: false,
    ask: async () => '',
  };
  const code = await runCli(args, { clients: defaultClients, terminal, env });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

function assertFriendly(result: Run, message: RegExp, hint: RegExp): void {
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stderr.split('\n');
  assert.match(lines[0] ?? '', /^error: /);
  assert.match(lines[0] ?? '', message);
  assert.match(lines[1] ?? '', /^hint: /);
  assert.match(lines[1] ?? '', hint);
  assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace without --debug');
}

/** A scratch AWS configuration: the SDK reads these variables itself (no test-only path in the CLI). */
const AWS_VARIABLES = [
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_PROFILE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'HOME',
];

describe('CLI errors from the real SDK chains (scratch ~/.aws, nothing configured)', () => {
  const saved: Record<string, string | undefined> = {};
  let home: string;
  let dir: string;

  before(() => {
    for (const name of AWS_VARIABLES) saved[name] = process.env[name];
    for (const name of AWS_VARIABLES) delete process.env[name];
    home = mkdtempSync(join(tmpdir(), 'webhooks-cli-home-'));
    dir = join(home, '.aws');
    mkdirSync(join(dir, 'sso', 'cache'), { recursive: true });
    writeFileSync(
      join(dir, 'config'),
      [
        '[profile oncall]',
        'sso_session = corp',
        'sso_account_id = 111111111111',
        'sso_role_name = OnCall',
        'region = eu-west-1',
        '',
        '[sso-session corp]',
        'sso_start_url = https://corp.awsapps.com/start',
        'sso_region = eu-west-1',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'credentials'), '');
    process.env.HOME = home;
    // No instance metadata service: the chain must end at once, as on a laptop.
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
  });

  after(() => {
    for (const name of AWS_VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    rmSync(home, { recursive: true, force: true });
  });

  it('no region: says so and how to set one', async () => {
    const result = await run(['dlq', 'stats', '--stack', 'WebhookPipeline']);
    assertFriendly(result, /No AWS region configured/, /--region <region>.*AWS_REGION/);
  });

  it('no credentials: says so and names --profile and aws sso login', async () => {
    const result = await run(['--region', 'eu-west-1', 'dlq', 'stats', '--stack', 'WebhookPipeline']);
    assertFriendly(result, /No AWS credentials found/, /--profile <name>.*aws sso login/);
  });

  it('an SSO profile without a live session: run `aws sso login --profile <it>` (global option after the command)', async () => {
    const result = await run(['dlq', 'stats', '--stack', 'WebhookPipeline', '--profile', 'oncall']);
    assertFriendly(result, /SSO session of profile "oncall"/, /aws sso login --profile oncall/);
  });

  it('an expired SSO token in the cache, profile from AWS_PROFILE: the same hint', async () => {
    const { createHash } = await import('node:crypto');
    const cacheFile = join(dir, 'sso', 'cache', `${createHash('sha1').update('corp').digest('hex')}.json`);
    writeFileSync(
      cacheFile,
      JSON.stringify({
        startUrl: 'https://corp.awsapps.com/start',
        region: 'eu-west-1',
        accessToken: 'expired',
        expiresAt: '2020-01-01T00:00:00Z',
      }),
    );
    process.env.AWS_PROFILE = 'oncall';
    try {
      const result = await run(['dlq', 'stats', '--stack', 'WebhookPipeline'], { AWS_PROFILE: 'oncall' });
      assertFriendly(result, /SSO session of profile "oncall"/, /aws sso login --profile oncall/);
    } finally {
      delete process.env.AWS_PROFILE;
    }
  });

  it('--debug adds the full error', async () => {
    const result = await run(['dlq', 'stats', '--stack', 'WebhookPipeline', '--debug']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Region is missing/);
    assert.match(result.stderr, /^\s+at /m);
    assert.match(result.stderr, /error: No AWS region configured/);
  });
});

describe('CLI errors from AWS services (aws-sdk-client-mock)', () => {
  const env = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' };
  const saved: Record<string, string | undefined> = {};
  before(() => {
    for (const [name, value] of Object.entries(env)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });
  after(() => {
    for (const name of Object.keys(env)) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('unknown stack: names the stack and region, and where to look', async () => {
    const cfn = mockClient(CloudFormationClient);
    cfn.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Stack with id Nope does not exist',
      }),
    );
    try {
      const result = await run(['dlq', 'stats', '--stack', 'Nope'], env);
      assertFriendly(result, /Stack "Nope" does not exist/, /list-stacks.*--region/);
    } finally {
      cfn.restore();
    }
  });

  it('missing queue (QueueDoesNotExist): names the queue and the hint', async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(GetQueueAttributesCommand).rejects(
      new QueueDoesNotExist({
        $metadata: { httpStatusCode: 400 },
        message: 'The specified queue does not exist.',
      }),
    );
    try {
      const url = 'https://sqs.eu-west-1.amazonaws.com/111111111111/gone-dlq';
      const result = await run(['dlq', 'stats', '--dlq-url', url], env);
      assertFriendly(result, /Queue .* does not exist/, /--stack.*--region.*--profile/);
    } finally {
      sqs.restore();
    }
  });

  it('missing queue in the legacy query shape (AWS.SimpleQueueService.NonExistentQueue)', () => {
    const error = new SQSServiceException({
      name: 'AWS.SimpleQueueService.NonExistentQueue',
      $fault: 'client',
      $metadata: {},
      message: 'The specified queue does not exist for this wsdl version.',
    });
    assert.match(explainAwsError(error, {})?.message ?? '', /does not exist/);
  });

  it('missing table (ResourceNotFoundException)', async () => {
    const dynamo = mockClient(DynamoDBDocumentClient);
    dynamo
      .on(GetCommand)
      .rejects(new ResourceNotFoundException({ $metadata: {}, message: 'Requested resource not found' }));
    try {
      const result = await run(['events', 'get', 'stripe', 'evt_1', '--table', 'gone'], env);
      assertFriendly(result, /Not found in eu-west-1: Requested resource not found/, /--table.*--region/);
    } finally {
      dynamo.restore();
    }
  });

  it('expired or rejected keys, and access denied', () => {
    const shaped = (name: string, message: string) => Object.assign(new Error(message), { name });
    assert.match(
      explainAwsError(shaped('ExpiredToken', 'The security token included in the request is expired'), {
        profile: 'prod',
      })?.hint ?? '',
      /aws sso login --profile prod/,
    );
    assert.match(
      explainAwsError(shaped('InvalidClientTokenId', 'The security token is invalid'), {})?.message ?? '',
      /rejected the credentials/,
    );
    assert.match(
      explainAwsError(shaped('AccessDenied', 'not authorized'), {})?.message ?? '',
      /Access denied/,
    );
    assert.equal(explainAwsError(shaped('SomethingElse', 'boom'), {}), undefined);
  });

  it('a queue URL in another region or account says which', () => {
    assert.deepEqual(queueUrlParts('https://sqs.eu-west-1.amazonaws.com/111111111111/q'), {
      account: '111111111111',
      region: 'eu-west-1',
      name: 'q',
    });
    const explained = explainAwsError(
      withRequestContext(new QueueDoesNotExist({ $metadata: {}, message: 'gone' }), {
        input: { QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111111111111/q' },
        region: 'us-east-1',
      }),
      {},
    );
    assert.match(
      explained?.message ?? '',
      /region eu-west-1, but the CLI is using us-east-1: pass --region eu-west-1/,
    );
  });
});

describe('--version', () => {
  it('prints the package version', async () => {
    const result = await run(['--version']);
    assert.equal(result.code, 0);
    assert.equal(result.stdout.trim(), packageVersion());
    assert.match(packageVersion(), /^\d+\.\d+\.\d+/);
  });
});
