import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { App, Aspects, AssetStaging, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { MAX_BODY_BYTES_LIMIT } from '../../lib/config';
import { ClaimCheckBucket } from '../../lib/constructs/claim-check-bucket';
import { PipelineMonitoring } from '../../lib/constructs/pipeline-monitoring';
import { PipelineQueues } from '../../lib/constructs/pipeline-queues';
import { PipelineSecrets } from '../../lib/constructs/pipeline-secrets';
import { HouseFunctionChecker, WebhookFunction } from '../../lib/constructs/webhook-function';
import {
  contentLengthAbovePattern,
  WebhookIngest,
  type WebhookIngestProps,
} from '../../lib/constructs/webhook-ingest';
import { WebhookProcessor, type WebhookProcessorProps } from '../../lib/constructs/webhook-processor';
import { PROJECT_ROOT } from '../../lib/webhook-pipeline-stack';

const ENTRY = `${PROJECT_ROOT}/lambdas/processor/handler.ts`;

function newStack(): Stack {
  return new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
}

function functionProps() {
  return { entry: ENTRY, projectRoot: PROJECT_ROOT, serviceName: 'svc', metricsNamespace: 'Ns' };
}

interface Fixture {
  readonly stack: Stack;
  readonly queues: PipelineQueues;
  readonly bucket: s3.Bucket;
}

function fixture(): Fixture {
  const stack = newStack();
  const queues = new PipelineQueues(stack, 'Queues', { consumerTimeout: Duration.seconds(30) });
  return { stack, queues, bucket: new s3.Bucket(stack, 'Bucket') };
}

function ingestProps(f: Fixture, extra: Partial<WebhookIngestProps> = {}): WebhookIngestProps {
  return {
    ...functionProps(),
    queue: f.queues.queue,
    deadLetterQueue: f.queues.deadLetterQueue,
    claimCheckBucket: f.bucket,
    claimCheckThresholdBytes: 1024,
    sourcesJson: '[]',
    sourceSecrets: [],
    sourceIds: ['a'],
    ...extra,
  };
}

function processorProps(f: Fixture, extra: Partial<WebhookProcessorProps> = {}): WebhookProcessorProps {
  return {
    ...functionProps(),
    queues: f.queues,
    table: new dynamodb.Table(f.stack, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    }),
    claimCheckBucket: f.bucket,
    cdpApiKey: new secretsmanager.Secret(f.stack, 'Key'),
    cdpBaseUrl: 'https://cdp.example.com',
    sourcesJson: '[]',
    ...extra,
  };
}

describe('WebhookFunction', () => {
  let template: Template;
  before(() => {
    const stack = newStack();
    new WebhookFunction(stack, 'Fn', { ...functionProps(), timeout: Duration.seconds(20) }).bindQueue(
      'QUEUE_URL',
      new PipelineQueues(stack, 'Q', { consumerTimeout: Duration.seconds(5) }).queue,
      'send',
    );
    template = Template.fromStack(stack);
  });

  it('applies the house runtime, architecture, source maps and Powertools settings', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 20,
      MemorySize: 512,
      // JSON so the levels apply; system logs at WARN drop START/END/REPORT of invocations that succeed.
      LoggingConfig: { LogFormat: 'JSON', SystemLogLevel: 'WARN', ApplicationLogLevel: 'INFO' },
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'svc',
          POWERTOOLS_METRICS_NAMESPACE: 'Ns',
          QUEUE_URL: Match.anyValue(),
        },
      },
    });
  });

  it('binds a queue by setting the variable and granting send together', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        // SendMessage alone (it authorises SendMessageBatch too): no GetQueueAttributes / GetQueueUrl.
        Statement: Match.arrayWith([Match.objectLike({ Action: 'sqs:SendMessage' })]),
      },
    });
  });

  it('rejects memory outside Lambda limits, bad timeouts and non-SCREAMING_SNAKE_CASE variables', () => {
    const stack = newStack();
    assert.throws(
      () => new WebhookFunction(stack, 'A', { ...functionProps(), memorySize: 64 }),
      /memorySize/,
    );
    assert.throws(
      () => new WebhookFunction(stack, 'B', { ...functionProps(), timeout: Duration.minutes(16) }),
      /timeout/,
    );
    assert.throws(
      () => new WebhookFunction(stack, 'C', { ...functionProps(), environment: { queueUrl: 'x' } }),
      /SCREAMING_SNAKE_CASE/,
    );
  });

  it('deploys the prebuilt bundle where the handler source is absent (the installed package)', () => {
    const root = mkdtempSync(join(tmpdir(), 'installed-package-'));
    try {
      const bundleDir = join(root, 'dist', 'lambdas', 'processor', 'handler');
      mkdirSync(bundleDir, { recursive: true });
      writeFileSync(join(bundleDir, 'index.mjs'), 'export const handler = async () => {};\n');
      const stack = newStack();
      const props = { ...functionProps(), projectRoot: root };
      const fn = new WebhookFunction(stack, 'Installed', {
        ...props,
        entry: join(root, 'lambdas/processor/handler.ts'),
      });
      const staging = fn.node.findAll().find((node) => node instanceof AssetStaging);
      assert.equal(staging?.sourcePath, bundleDir);
      Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.handler',
        Runtime: 'nodejs24.x',
      });
      assert.throws(
        () =>
          new WebhookFunction(stack, 'Missing', { ...props, entry: join(root, 'lambdas/ingest/handler.ts') }),
        /neither the handler source \S+lambdas\/ingest\/handler\.ts .* nor its prebuilt bundle \S+dist\/lambdas\/ingest\/handler\/index\.mjs .*npm run build/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('HouseFunctionChecker', () => {
  it('reports a raw NodejsFunction as an error and accepts WebhookFunction', () => {
    const stack = newStack();
    new NodejsFunction(stack, 'Raw', { entry: ENTRY });
    new WebhookFunction(stack, 'House', functionProps());
    Aspects.of(stack).add(new HouseFunctionChecker());
    const errors = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('raw NodejsFunction'));
    assert.deepEqual(
      errors.map((e) => e.id),
      ['/Test/Raw'],
    );
  });
});

describe('PipelineQueues', () => {
  it('rejects a visibility timeout under 6x the consumer timeout', () => {
    assert.throws(
      () =>
        new PipelineQueues(newStack(), 'Q', {
          consumerTimeout: Duration.seconds(30),
          visibilityTimeout: Duration.seconds(179),
        }),
      /at least 6x the consumer timeout \(180 s\)/,
    );
  });

  it('rejects a DLQ retention not longer than the main queue retention', () => {
    assert.throws(
      () =>
        new PipelineQueues(newStack(), 'Q', {
          consumerTimeout: Duration.seconds(30),
          retentionPeriod: Duration.days(14),
          deadLetterRetentionPeriod: Duration.days(14),
        }),
      /deadLetterRetentionPeriod must be longer/,
    );
  });

  it('rejects a maxReceiveCount outside 1-1000', () => {
    assert.throws(
      () =>
        new PipelineQueues(newStack(), 'Q', { consumerTimeout: Duration.seconds(30), maxReceiveCount: 0 }),
      /maxReceiveCount/,
    );
  });
});

describe('ClaimCheckBucket', () => {
  it('rejects an expiration that is not a whole number of days', () => {
    assert.throws(
      () => new ClaimCheckBucket(newStack(), 'B', { expiration: Duration.hours(36) }),
      /whole number of days/,
    );
  });
});

describe('PipelineSecrets', () => {
  it('references complete and partial ARNs and rejects duplicate sources', () => {
    const stack = newStack();
    const secrets = new PipelineSecrets(stack, 'S', {
      sources: [
        { sourceId: 'a', existingSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-AbCdEf' },
        { sourceId: 'b' },
      ],
    });
    assert.equal(
      secrets.sourceSecrets.get('a')?.secretArn,
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-AbCdEf',
    );
    Template.fromStack(stack).resourceCountIs('AWS::SecretsManager::Secret', 2);
    assert.throws(
      () => new PipelineSecrets(newStack(), 'S', { sources: [{ sourceId: 'a' }, { sourceId: 'a' }] }),
      /declared twice/,
    );
  });
});

describe('WebhookIngest front-door body limit', () => {
  it('the Content-Length pattern matches exactly the values above the limit', () => {
    for (const limit of [0, 9, 10, 99, 4096, 4_194_304, 9_999_999]) {
      const pattern = new RegExp(contentLengthAbovePattern(limit));
      const probes = new Set<number>();
      for (let delta = -1200; delta <= 1200; delta++) probes.add(Math.max(0, limit + delta));
      for (let power = 1; power <= 1e12; power *= 10) probes.add(power).add(power - 1);
      for (let i = 0; i < 2000; i++) probes.add(Math.floor(Math.random() * limit * 3));
      for (const value of probes) {
        assert.equal(pattern.test(String(value)), value > limit, `${value} vs ${limit}`);
        assert.equal(pattern.test(`00${value}`), value > limit, `00${value} vs ${limit}`);
      }
      for (const garbage of ['', ' ', 'abc', '-5', '1e9', `${limit + 1}x`, '0x7fffffff']) {
        assert.equal(pattern.test(garbage), false, garbage);
      }
    }
  });

  it('the REST API answers a declared body above the front-door limit 413 with a JSON reason, before any allowlist', () => {
    const f = fixture();
    const ingest = new WebhookIngest(
      f.stack,
      'I',
      ingestProps(f, { frontDoor: 'rest-api', wafAllowedCidrs: ['192.0.2.0/24'] }),
    );
    const template = Template.fromStack(f.stack);
    const acl = Object.values(template.findResources('AWS::WAFv2::WebACL'))[0]?.Properties as {
      Rules: { Name: string; Priority: number; Action: unknown; Statement: unknown }[];
      CustomResponseBodies: Record<string, { ContentType: string; Content: string }>;
    };
    const sizeRule = acl.Rules.find((r) => r.Name === 'body-too-large');
    const allowRule = acl.Rules.find((r) => r.Name === 'allow-listed-ips');
    assert.ok(sizeRule && allowRule);
    assert.ok(sizeRule.Priority < allowRule.Priority, 'an allow action would end evaluation first');
    assert.deepEqual(sizeRule.Action, {
      Block: { CustomResponse: { ResponseCode: 413, CustomResponseBodyKey: 'payload-too-large' } },
    });
    assert.deepEqual(sizeRule.Statement, {
      RegexMatchStatement: {
        FieldToMatch: { SingleHeader: { Name: 'content-length' } },
        RegexString: contentLengthAbovePattern(MAX_BODY_BYTES_LIMIT),
        TextTransformations: [{ Priority: 0, Type: 'NONE' }],
      },
    });
    const body = acl.CustomResponseBodies['payload-too-large'];
    assert.equal(body?.ContentType, 'APPLICATION_JSON');
    assert.equal(JSON.parse(body?.Content ?? '{}').error, 'payload_too_large');
    // The limit leaves room for base64 and the event envelope inside Lambda's 6 MB invocation payload.
    assert.ok(Math.ceil(MAX_BODY_BYTES_LIMIT / 3) * 4 + 64 * 1024 < 6 * 1024 * 1024);
    assert.ok(ingest.webAcl);
  });

  it('the HTTP API has no such rule (AWS WAF cannot attach to it): documented, not enforced', () => {
    const f = fixture();
    new WebhookIngest(f.stack, 'I', ingestProps(f));
    Template.fromStack(f.stack).resourceCountIs('AWS::WAFv2::WebACL', 0);
  });
});

describe('WebhookIngest', () => {
  it('the Function URL front door: auth NONE (signatures authenticate), reserved concurrency, no API Gateway', () => {
    const f = fixture();
    const ingest = new WebhookIngest(f.stack, 'I', ingestProps(f, { frontDoor: 'function-url' }));
    const template = Template.fromStack(f.stack);
    template.resourceCountIs('AWS::Lambda::Url', 1);
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Verifies webhook signatures'),
      ReservedConcurrentExecutions: 20,
    });
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 0);
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    assert.equal(ingest.accessLogs, undefined);
    const metric = ingest.metricServerErrors();
    assert.equal(metric.namespace, 'AWS/Lambda');
    assert.equal(metric.metricName, 'Url5xxCount');
    assert.equal(ingest.metricRequests().metricName, 'UrlRequestCount');
  });

  it('takes reserved concurrency for the Function URL only, and no WAF settings with it', () => {
    const f = fixture();
    const custom = newStack();
    const q = new PipelineQueues(custom, 'Queues', { consumerTimeout: Duration.seconds(30) });
    new WebhookIngest(custom, 'I', {
      ...ingestProps({ stack: custom, queues: q, bucket: new s3.Bucket(custom, 'Bucket') }),
      frontDoor: 'function-url',
      functionUrlReservedConcurrency: 50,
    });
    Template.fromStack(custom).hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 50,
    });
    assert.throws(
      () => new WebhookIngest(f.stack, 'I', ingestProps(f, { functionUrlReservedConcurrency: 5 })),
      /needs frontDoor 'function-url'/,
    );
    assert.throws(
      () =>
        new WebhookIngest(
          f.stack,
          'J',
          ingestProps(f, { frontDoor: 'function-url', functionUrlReservedConcurrency: 0 }),
        ),
      /positive whole number/,
    );
    assert.throws(
      () =>
        new WebhookIngest(
          f.stack,
          'K',
          ingestProps(f, { frontDoor: 'function-url', wafRateLimitPer5Minutes: 1000 }),
        ),
      /WAF settings need frontDoor 'rest-api'/,
    );
  });

  it('rejects WAF settings on the HTTP API', () => {
    const f = fixture();
    assert.throws(
      () => new WebhookIngest(f.stack, 'I', ingestProps(f, { wafRateLimitPer5Minutes: 1000 })),
      /WAF settings need frontDoor 'rest-api'/,
    );
  });

  it('rejects malformed allowlist entries and bad throttling', () => {
    const f = fixture();
    assert.throws(
      () =>
        new WebhookIngest(f.stack, 'I', ingestProps(f, { frontDoor: 'rest-api', wafAllowedCidrs: ['nope'] })),
      /not a CIDR/,
    );
    assert.throws(
      () => new WebhookIngest(f.stack, 'J', ingestProps(f, { throttleBurstLimit: 0 })),
      /throttle/,
    );
    assert.throws(
      () => new WebhookIngest(f.stack, 'K', ingestProps(f, { sourceIds: ['Bad_Id'] })),
      /URL path segment/,
    );
  });

  it('gives webhook URLs only for its own sources', () => {
    const f = fixture();
    const ingest = new WebhookIngest(f.stack, 'I', ingestProps(f));
    assert.match(JSON.stringify(f.stack.resolve(ingest.webhookUrl('a'))), /webhooks\/a"/);
    assert.throws(() => ingest.webhookUrl('b'), /No source b/);
  });
});

describe('WebhookProcessor', () => {
  it('rejects a processor timeout the queue visibility does not cover 6 times', () => {
    const f = fixture();
    assert.throws(
      () => new WebhookProcessor(f.stack, 'P', processorProps(f, { timeout: Duration.seconds(31) })),
      /at least 6x the processor timeout/,
    );
  });

  it('rejects batch sizes above 10 without a batching window, and out-of-range concurrency', () => {
    const f = fixture();
    assert.throws(
      () =>
        new WebhookProcessor(
          f.stack,
          'P',
          processorProps(f, { batchSize: 20, maxBatchingWindow: Duration.seconds(0) }),
        ),
      /maxBatchingWindow/,
    );
    const g = fixture();
    assert.throws(
      () => new WebhookProcessor(g.stack, 'P', processorProps(g, { maxConcurrency: 1 })),
      /maxConcurrency/,
    );
  });
});

describe('PipelineMonitoring', () => {
  it('rejects silence windows the alarm cannot evaluate and non-positive thresholds', () => {
    const f = fixture();
    const fn = new WebhookFunction(f.stack, 'Fn', functionProps());
    const base = {
      queue: f.queues.queue,
      deadLetterQueue: f.queues.deadLetterQueue,
      ingestFunction: fn,
      processorFunction: fn,
      apiServerErrors: fn.metricErrors(),
      apiRequests: fn.metricInvocations(),
    };
    assert.throws(
      () =>
        new PipelineMonitoring(f.stack, 'M1', {
          ...base,
          watchedSources: [{ sourceId: 'a', expectEventsWithinMinutes: 181 }],
        }),
      /multiple of 5 from 5 to 180/,
    );
    assert.throws(
      () => new PipelineMonitoring(f.stack, 'M2', { ...base, api5xxPer5Minutes: 0 }),
      /must be positive/,
    );
  });
});
