import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { INGEST_EMF_METRICS } from '../../lambdas/ingest/ports';
import { PROCESSOR_EMF_METRICS } from '../../lambdas/processor/ports';
import { INGEST_LOG_METRICS, PROCESSOR_LOG_METRICS } from '../../lambdas/shared/log-metrics';
import { STATE_TABLE } from '../../lambdas/shared/schema';
import type { FrontDoor, PipelineConfig } from '../../lib/config';
import { METRICS } from '../../lib/resource-definitions';
import {
  actionsOf,
  EXISTING_SECRET_ARN,
  logicalIdOf,
  statementsFor,
  statementsOfRole,
  synthesize,
  TEST_CONFIG,
} from './support';

const TLS_ONLY_STATEMENT = Match.objectLike({
  Effect: 'Deny',
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});

function configFor(frontDoor: FrontDoor): PipelineConfig {
  return frontDoor === 'rest-api'
    ? {
        ...TEST_CONFIG,
        frontDoor,
        waf: { rateLimitPer5Minutes: 3000, allowedCidrs: ['192.0.2.0/24', '2001:db8::/32'] },
      }
    : TEST_CONFIG;
}

function functionOf(template: Template, prefix: string): Record<string, unknown> {
  const id = logicalIdOf(template, 'AWS::Lambda::Function', prefix);
  return template.toJSON().Resources[id].Properties as Record<string, unknown>;
}

for (const frontDoor of ['http-api', 'rest-api'] as const) {
  describe(`WebhookPipelineStack (${frontDoor})`, () => {
    let template: Template;
    let queueId: string;
    let dlqId: string;
    before(() => {
      template = synthesize(configFor(frontDoor)).template;
      queueId = logicalIdOf(template, 'AWS::SQS::Queue', 'QueuesQueue');
      dlqId = logicalIdOf(template, 'AWS::SQS::Queue', 'QueuesDeadLetterQueue');
    });

    describe('queues', () => {
      it('encrypts both queues with SSE and gives neither a physical name', () => {
        template.resourcePropertiesCountIs(
          'AWS::SQS::Queue',
          { SqsManagedSseEnabled: true, QueueName: Match.absent() },
          2,
        );
      });

      it('denies non-TLS access to both queues', () => {
        template.resourcePropertiesCountIs(
          'AWS::SQS::QueuePolicy',
          { PolicyDocument: { Statement: Match.arrayWith([TLS_ONLY_STATEMENT]) } },
          2,
        );
      });

      it('redrives to the DLQ after maxReceiveCount receives', () => {
        template.hasResourceProperties('AWS::SQS::Queue', {
          RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 12 },
          MessageRetentionPeriod: 7 * 86_400,
        });
      });

      it('keeps DLQ messages 14 days, longer than the main queue', () => {
        template.hasResourceProperties('AWS::SQS::Queue', {
          MessageRetentionPeriod: 14 * 86_400,
          RedrivePolicy: Match.absent(),
        });
      });

      it('sets the visibility timeout to at least 6x the processor timeout', () => {
        const processor = functionOf(template, 'ProcessorFunction');
        const queue = template.toJSON().Resources[queueId].Properties as { VisibilityTimeout: number };
        assert.equal(processor.Timeout, 30);
        assert.ok(queue.VisibilityTimeout >= 6 * (processor.Timeout as number));
      });
    });

    describe('processor event source mapping', () => {
      it('reports batch item failures with the configured batching and concurrency', () => {
        template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
          EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          BatchSize: 10,
          MaximumBatchingWindowInSeconds: 1,
          ScalingConfig: { MaximumConcurrency: 5 },
        });
      });

      it('sets no retry attempts (they only apply to asynchronous invokes)', () => {
        template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
          MaximumRetryAttempts: Match.absent(),
        });
        template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
      });
    });

    describe('functions', () => {
      it('run on arm64 with the current Node LTS runtime and source maps', () => {
        template.resourcePropertiesCountIs(
          'AWS::Lambda::Function',
          {
            Architectures: ['arm64'],
            Runtime: 'nodejs24.x',
            Handler: 'index.handler',
            Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }) },
          },
          2,
        );
      });

      it('log to explicit log groups with retention', () => {
        for (const prefix of ['IngestFunction', 'ProcessorFunction']) {
          const logGroup = logicalIdOf(template, 'AWS::Logs::LogGroup', `${prefix}LogGroup`);
          assert.deepEqual(functionOf(template, prefix).LoggingConfig, {
            LogGroup: { Ref: logGroup },
            // JSON so the levels apply; WARN drops START/END/REPORT of invocations that succeed.
            LogFormat: 'JSON',
            ApplicationLogLevel: 'INFO',
            SystemLogLevel: 'WARN',
          });
        }
        template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
      });

      it('give each function the memory the cost model chose (bench/results/cost.md)', () => {
        assert.equal(functionOf(template, 'IngestFunction').MemorySize, 256);
        assert.equal(functionOf(template, 'ProcessorFunction').MemorySize, 512);
      });

      it('give the ingest function the queues, bucket, threshold and sources', () => {
        template.hasResourceProperties('AWS::Lambda::Function', {
          Timeout: 10,
          Environment: {
            Variables: Match.objectLike({
              QUEUE_URL: { Ref: queueId },
              DLQ_URL: { Ref: dlqId },
              CLAIM_CHECK_BUCKET: { Ref: logicalIdOf(template, 'AWS::S3::Bucket', 'ClaimCheck') },
              CLAIM_CHECK_THRESHOLD_BYTES: String(256 * 1024),
              PIPELINE_SOURCES: Match.anyValue(),
              POWERTOOLS_METRICS_NAMESPACE: 'WebhookPipeline',
            }),
          },
        });
      });

      it('give the processor the table, DLQ, queue, CDP settings and maxReceiveCount', () => {
        template.hasResourceProperties('AWS::Lambda::Function', {
          Timeout: 30,
          Environment: {
            Variables: Match.objectLike({
              STATE_TABLE: { Ref: logicalIdOf(template, 'AWS::DynamoDB::Table', 'State') },
              DLQ_URL: { Ref: dlqId },
              QUEUE_URL: { Ref: queueId },
              CDP_BASE_URL: 'https://api.example-cdp.com/public/v1',
              CDP_API_KEY_SECRET_ID: {
                Ref: logicalIdOf(template, 'AWS::SecretsManager::Secret', 'SecretsCdpApiKey'),
              },
              MAX_RECEIVE_COUNT: '12',
              VISIBILITY_TIMEOUT_SECONDS: '180',
              PIPELINE_SOURCES: Match.anyValue(),
            }),
          },
        });
      });

      it('hand each source secret ARN to the functions inside PIPELINE_SOURCES', () => {
        const sources = JSON.stringify(
          (functionOf(template, 'IngestFunction').Environment as { Variables: { PIPELINE_SOURCES: unknown } })
            .Variables.PIPELINE_SOURCES,
        );
        assert.match(sources, /SecretsSourcestripe/);
        assert.ok(sources.includes(EXISTING_SECRET_ARN));
        assert.doesNotMatch(sources, /expectEventsWithinMinutes|existingSecretArn/);
      });
    });

    describe('least-privilege grants', () => {
      it('lets ingest send to both queues, put objects and read only the source secrets', () => {
        const statements = statementsOfRole(template, 'IngestFunctionRole');
        const send = statementsFor(statements, 'sqs:SendMessage');
        // Flattened and sorted: cdk.json's @aws-cdk/aws-iam:minimizePolicies merges statements.
        assert.deepEqual(
          send
            .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]))
            .map((r) => JSON.stringify(r))
            .sort(),
          [{ 'Fn::GetAtt': [dlqId, 'Arn'] }, { 'Fn::GetAtt': [queueId, 'Arn'] }]
            .map((r) => JSON.stringify(r))
            .sort(),
        );
        assert.equal(statementsFor(statements, 's3:PutObject').length, 1);
        const secrets = JSON.stringify(statementsFor(statements, 'secretsmanager:GetSecretValue'));
        assert.match(secrets, /SecretsSourcestripe/);
        assert.ok(secrets.includes(EXISTING_SECRET_ARN));
        assert.doesNotMatch(secrets, /CdpApiKey/);
        const actions = actionsOf(statements);
        assert.ok(!actions.some((a) => a.startsWith('dynamodb:')), 'ingest must not touch the table');
        assert.ok(!actions.includes('s3:GetObject') && !actions.includes('sqs:ReceiveMessage'));
        // SendMessage only (it authorises SendMessageBatch); nothing the code never calls.
        assert.ok(!actions.includes('sqs:GetQueueAttributes') && !actions.includes('sqs:GetQueueUrl'));
      });

      it('lets the processor use the table item by item, keep and delete objects, send to the DLQ and read the CDP key', () => {
        const statements = statementsOfRole(template, 'ProcessorFunctionRole');
        const actions = actionsOf(statements);
        for (const action of [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          // Read a body, copy it onto itself (restarts its lifecycle clock), delete it once completed.
          's3:GetObject',
          's3:PutObject',
          's3:DeleteObject',
        ]) {
          assert.ok(actions.includes(action), `processor lacks ${action}`);
        }
        // Only what the code calls: records end by TTL, never DeleteItem; no scans, no transactions.
        for (const action of [
          'dynamodb:Scan',
          'dynamodb:DeleteItem',
          'dynamodb:ConditionCheckItem',
          'dynamodb:DescribeTable',
          's3:ListBucket',
        ]) {
          assert.ok(!actions.includes(action), `processor holds unused ${action}`);
        }
        assert.deepEqual(
          statementsFor(statements, 'sqs:SendMessage').map((s) => s.Resource),
          [{ 'Fn::GetAtt': [dlqId, 'Arn'] }],
        );
        assert.deepEqual(
          statementsFor(statements, 'sqs:ChangeMessageVisibility').map((s) => s.Resource),
          [{ 'Fn::GetAtt': [queueId, 'Arn'] }],
        );
        const secrets = JSON.stringify(statementsFor(statements, 'secretsmanager:GetSecretValue'));
        assert.match(secrets, /SecretsCdpApiKey/);
        assert.doesNotMatch(secrets, /SecretsSource/);
      });

      it('lets each function write only to its own log group (no AWSLambdaBasicExecutionRole)', () => {
        template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
      });
    });

    describe('state table', () => {
      it('is on-demand, keyed on pk, with TTL on the attribute the code writes, PITR and encryption', () => {
        template.hasResource('AWS::DynamoDB::Table', {
          DeletionPolicy: 'Retain',
          Properties: {
            BillingMode: 'PAY_PER_REQUEST',
            KeySchema: [{ AttributeName: STATE_TABLE.partitionKey, KeyType: 'HASH' }],
            TimeToLiveSpecification: { AttributeName: STATE_TABLE.ttlAttribute, Enabled: true },
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            SSESpecification: { SSEEnabled: true },
            TableName: Match.absent(),
          },
        });
      });
    });

    describe('claim-check bucket', () => {
      it('is encrypted, blocks public access and expires objects after the DLQ retention', () => {
        template.hasResource('AWS::S3::Bucket', {
          DeletionPolicy: 'Retain',
          Properties: {
            BucketEncryption: {
              ServerSideEncryptionConfiguration: [
                { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
              ],
            },
            PublicAccessBlockConfiguration: {
              BlockPublicAcls: true,
              BlockPublicPolicy: true,
              IgnorePublicAcls: true,
              RestrictPublicBuckets: true,
            },
            LifecycleConfiguration: {
              Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 15, Status: 'Enabled' })]),
            },
            BucketName: Match.absent(),
          },
        });
      });

      it('keeps a body longer than any message pointing to it can live, derived from the queue retentions', () => {
        const queues = Object.values(template.findResources('AWS::SQS::Queue')).map(
          (q) =>
            (q as { Properties: { MessageRetentionPeriod: number; RedrivePolicy?: unknown } }).Properties,
        );
        const dlqRetention = queues.find((q) => q.RedrivePolicy === undefined)?.MessageRetentionPeriod ?? 0;
        const mainRetention = queues.find((q) => q.RedrivePolicy !== undefined)?.MessageRetentionPeriod ?? 0;
        const [bucket] = Object.values(template.findResources('AWS::S3::Bucket'));
        const rules = (
          bucket as {
            Properties: {
              LifecycleConfiguration: { Rules: { ExpirationInDays?: number; Status: string }[] };
            };
          }
        ).Properties.LifecycleConfiguration.Rules;
        const expiration = rules.find((r) => r.ExpirationInDays !== undefined);
        assert.equal(expiration?.Status, 'Enabled');
        const expirySeconds = (expiration?.ExpirationInDays ?? 0) * 86_400;
        // Every message that points to a body starts its clock no earlier than the body's last write (the
        // processor and CLI restart the body's clock whenever they create one). The longest any message can
        // then live is the DLQ retention (a moved message keeps its enqueue time); the body must outlive it by
        // at least a day (S3 counts whole days) — and not by much more: completed bodies are deleted anyway.
        assert.ok(dlqRetention > mainRetention && mainRetention > 0);
        assert.ok(expirySeconds >= dlqRetention + 86_400, `${expirySeconds} s vs DLQ ${dlqRetention} s`);
        assert.ok(expirySeconds <= dlqRetention + 2 * 86_400);
      });

      it('denies non-TLS access', () => {
        template.hasResourceProperties('AWS::S3::BucketPolicy', {
          PolicyDocument: { Statement: Match.arrayWith([TLS_ONLY_STATEMENT]) },
        });
      });
    });

    describe('secrets', () => {
      it('creates one secret per source without an existing ARN, plus the CDP API key', () => {
        template.resourceCountIs('AWS::SecretsManager::Secret', 2);
        template.hasResourceProperties('AWS::SecretsManager::Secret', {
          GenerateSecretString: Match.objectLike({ GenerateStringKey: 'secret', SecretStringTemplate: '{}' }),
        });
      });
    });

    describe('alarms', () => {
      const topicAction = () =>
        Match.arrayWith([{ Ref: logicalIdOf(template, 'AWS::SNS::Topic', 'MonitoringAlarmTopic') }]);

      it('publish to a KMS-encrypted, TLS-only topic with the e-mail subscription', () => {
        template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
        template.hasResourceProperties('AWS::SNS::TopicPolicy', {
          PolicyDocument: { Statement: Match.arrayWith([TLS_ONLY_STATEMENT]) },
        });
        template.hasResourceProperties('AWS::SNS::Subscription', {
          Protocol: 'email',
          Endpoint: 'oncall@example.com',
        });
        template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
        template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: topicAction() });
      });

      it('fire when the DLQ holds any message (Maximum > 0)', () => {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
          Statistic: 'Maximum',
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
        });
      });

      it('fire on the age of the oldest main-queue message', () => {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: 'ApproximateAgeOfOldestMessage',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
          Threshold: 900,
        });
      });

      it('fire on processor errors and throttles and on ingest errors', () => {
        const processor = logicalIdOf(template, 'AWS::Lambda::Function', 'ProcessorFunction');
        const ingest = logicalIdOf(template, 'AWS::Lambda::Function', 'IngestFunction');
        for (const [metric, fn] of [
          ['Errors', processor],
          ['Throttles', processor],
          ['Errors', ingest],
        ] as const) {
          template.hasResourceProperties('AWS::CloudWatch::Alarm', {
            Namespace: 'AWS/Lambda',
            MetricName: metric,
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }],
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
            Threshold: 1,
          });
        }
      });

      it("fire on the ingest's own 5xx answers, which never fail the invocation (Metrics Insights)", () => {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Metrics: [
            Match.objectLike({
              Expression: 'SELECT SUM(ServerErrors) FROM "WebhookPipeline"',
              ReturnData: true,
            }),
          ],
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        });
      });

      it('fire on the age of the oldest DLQ message well before any DLQ message can expire', () => {
        const queues = template.findResources('AWS::SQS::Queue') as Record<
          string,
          { Properties: { MessageRetentionPeriod: number } }
        >;
        const retention = (id: string) => queues[id]?.Properties.MessageRetentionPeriod ?? 0;
        const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
          .map((a) => (a as { Properties: Record<string, unknown> }).Properties)
          .find(
            (p) =>
              p.MetricName === 'ApproximateAgeOfOldestMessage' &&
              JSON.stringify(p.Dimensions).includes(dlqId),
          );
        assert.ok(alarm, 'no age alarm on the DLQ');
        const threshold = alarm.Threshold as number;
        // SQS ages a DLQ message from its move but expires it by its original enqueue time, which may be
        // up to the main retention earlier: it is only sure to stay (DLQ - main) retention in the DLQ.
        const guaranteed = retention(dlqId) - retention(queueId);
        assert.ok(guaranteed > 0);
        assert.ok(threshold <= 0.75 * guaranteed, `${threshold} s vs ${guaranteed} s guaranteed`);
        assert.ok(threshold >= 0.25 * guaranteed, 'not so early that it is noise');
        assert.equal(alarm.ComparisonOperator, 'GreaterThanOrEqualToThreshold');
        assert.equal(alarm.Statistic, 'Maximum');
      });

      it('fire on API Gateway 5xx responses', () => {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/ApiGateway',
          MetricName: frontDoor === 'http-api' ? '5xx' : '5XXError',
          Statistic: 'Sum',
          Threshold: 5,
        });
      });

      it('fire on a spike of signature rejections and on CDP failures (custom metrics)', () => {
        const notSignature = METRICS.nonSignatureRejectReasons.map((r) => `reason != '${r}'`).join(' AND ');
        for (const [expression, threshold] of [
          [`SELECT SUM(Rejected) FROM "WebhookPipeline" WHERE ${notSignature}`, 25],
          ['SELECT SUM(Failed) FROM "WebhookPipeline"', 10],
        ] as const) {
          template.hasResourceProperties('AWS::CloudWatch::Alarm', {
            Metrics: [
              Match.objectLike({
                Expression: expression,
                ReturnData: true,
              }),
            ],
            Threshold: threshold,
            TreatMissingData: 'notBreaching',
          });
        }
      });

      it('fire when a watched source goes silent, treating missing data as breaching', () => {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Metrics: [
            Match.objectLike({
              Expression: `SELECT SUM(Enqueued) FROM "WebhookPipeline" WHERE source = 'stripe'`,
              Period: 300,
            }),
          ],
          ComparisonOperator: 'LessThanThreshold',
          Threshold: 1,
          EvaluationPeriods: 12,
          TreatMissingData: 'breaching',
        });
        // 9 before + the DLQ age alarm + one per ingest 5xx metric.
        template.resourceCountIs('AWS::CloudWatch::Alarm', 11);
      });

      it("take the success-path metrics from the functions' own log lines: metric filters on their log groups", () => {
        const filters = template.findResources('AWS::Logs::MetricFilter');
        assert.equal(Object.keys(filters).length, 4);
        const byServiceAndSource = [
          { Key: 'service', Value: '$.service' },
          { Key: 'source', Value: '$.source' },
        ];
        const expected = [
          ['IngestFunction', 'Enqueued', '{ $.message = "Webhook enqueued" }', '$.events', 'Count'],
          ['ProcessorFunction', 'Processed', '{ $.message = "Event processed" }', '1', 'Count'],
          [
            'ProcessorFunction',
            'DuplicateSkipped',
            '{ $.message = "Duplicate event acknowledged" }',
            '1',
            'Count',
          ],
          ['ProcessorFunction', 'CdpLatency', '{ $.cdpMs >= 0 }', '$.cdpMs', 'Milliseconds'],
        ] as const;
        for (const [fn, name, pattern, value, unit] of expected) {
          // The filter reads the log group the function writes to (LoggingConfig), nothing else.
          const logGroup = (functionOf(template, fn).LoggingConfig as { LogGroup: unknown }).LogGroup;
          assert.ok(logGroup, `${fn} has no LoggingConfig.LogGroup`);
          template.hasResourceProperties('AWS::Logs::MetricFilter', {
            LogGroupName: logGroup,
            FilterPattern: pattern,
            FilterName: Match.absent(),
            MetricTransformations: [
              {
                MetricNamespace: METRICS.namespace,
                MetricName: name,
                MetricValue: value,
                Unit: unit,
                Dimensions: byServiceAndSource,
                DefaultValue: Match.absent(),
              },
            ],
          });
        }
        // The definitions the handlers log with are the ones the template carries.
        for (const def of [...INGEST_LOG_METRICS, ...PROCESSOR_LOG_METRICS]) {
          assert.ok(
            expected.some(([, name, pattern]) => name === def.metricName && pattern === def.filterPattern),
          );
        }
      });

      it('name in alarms and the dashboard only metrics the functions produce, each by one mechanism', () => {
        const emf = new Set<string>([...INGEST_EMF_METRICS, ...PROCESSOR_EMF_METRICS]);
        const filtered = new Set(
          Object.values(template.findResources('AWS::Logs::MetricFilter')).flatMap((f) =>
            (f.Properties as { MetricTransformations: { MetricName: string }[] }).MetricTransformations.map(
              (t) => t.MetricName,
            ),
          ),
        );
        for (const name of filtered) assert.ok(!emf.has(name), `${name} would come from EMF and a filter`);
        const text = JSON.stringify([
          template.findResources('AWS::CloudWatch::Alarm'),
          template.findResources('AWS::CloudWatch::Dashboard'),
        ]);
        const named = new Set([...text.matchAll(/SELECT SUM\((\w+)\) FROM/g)].map((m) => m[1] ?? ''));
        for (const name of ['Enqueued', 'Rejected', 'Processed', 'Failed', 'DeadLettered', 'ServerErrors'])
          assert.ok(named.has(name), `nothing reads ${name}`);
        for (const name of named) {
          assert.ok(emf.has(name) || filtered.has(name), `${name} is read but nothing produces it`);
        }
        assert.ok(!named.has('Received'));
      });

      it('come with a dashboard following the flow end to end', () => {
        const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
        for (const fragment of [
          'API requests',
          'Queue depth',
          'Processor function',
          'CDP outcomes',
          'Dead-letter',
        ]) {
          assert.ok(body.includes(fragment), `dashboard lacks "${fragment}"`);
        }
      });
    });

    describe('outputs', () => {
      it('give the webhook URL of every source and the resources the on-call CLI reads', () => {
        for (const name of [
          'WebhookBaseUrl',
          'QueueUrl',
          'DeadLetterQueueUrl',
          'StateTableName',
          'ClaimCheckBucketName',
          'AlarmTopicArn',
          'CdpApiKeySecretArn',
          'SecretArnstripe',
        ]) {
          template.hasOutput(name, { Value: Match.anyValue() });
        }
        const urls = JSON.stringify([
          template.findOutputs('WebhookUrlstripe'),
          template.findOutputs('WebhookUrlgithubmain'),
        ]);
        assert.match(urls, /\/webhooks\/stripe"/);
        assert.match(urls, /\/webhooks\/github-main"/);
        template.hasOutput('QueueUrl', { Value: { Ref: queueId } });
        template.hasOutput('DeadLetterQueueUrl', { Value: { Ref: dlqId } });
      });
    });

    if (frontDoor === 'http-api') {
      describe('HTTP API front door', () => {
        it('routes POST /webhooks/{sourceId} to the ingest function with payload v2', () => {
          template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
            RouteKey: 'POST /webhooks/{sourceId}',
          });
          template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
            IntegrationType: 'AWS_PROXY',
            PayloadFormatVersion: '2.0',
          });
        });

        it('throttles the stage and writes access logs, without CORS', () => {
          template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
            StageName: '$default',
            AutoDeploy: true,
            DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
            AccessLogSettings: {
              DestinationArn: Match.anyValue(),
              Format: Match.stringLikeRegexp('requestId'),
            },
          });
          template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.absent() });
        });

        it('has no WAF (it cannot attach to an HTTP API)', () => {
          template.resourceCountIs('AWS::WAFv2::WebACL', 0);
        });
      });
    } else {
      describe('REST API front door', () => {
        it('passes every body through as binary to a regional POST /webhooks/{sourceId}', () => {
          template.hasResourceProperties('AWS::ApiGateway::RestApi', {
            BinaryMediaTypes: ['*/*'],
            EndpointConfiguration: { Types: ['REGIONAL'] },
          });
          template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{sourceId}' });
          template.hasResourceProperties('AWS::ApiGateway::Method', {
            HttpMethod: 'POST',
            Integration: Match.objectLike({ Type: 'AWS_PROXY' }),
            RequestParameters: { 'method.request.path.sourceId': true },
          });
        });

        it('throttles the stage and writes access logs', () => {
          template.hasResourceProperties('AWS::ApiGateway::Stage', {
            StageName: 'prod',
            MethodSettings: Match.arrayWith([
              Match.objectLike({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 }),
            ]),
            AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
          });
        });

        it('sits behind a WAF web ACL with a per-IP rate-based rule and the IP allowlist', () => {
          template.hasResourceProperties('AWS::WAFv2::WebACL', {
            Scope: 'REGIONAL',
            DefaultAction: { Block: {} },
            Rules: Match.arrayWith([
              Match.objectLike({
                Action: { Block: {} },
                Statement: {
                  RateBasedStatement: { Limit: 3000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 },
                },
              }),
              Match.objectLike({
                Action: { Allow: {} },
                Statement: {
                  OrStatement: {
                    Statements: [
                      { IPSetReferenceStatement: { Arn: Match.anyValue() } },
                      { IPSetReferenceStatement: { Arn: Match.anyValue() } },
                    ],
                  },
                },
              }),
            ]),
          });
          template.hasResourceProperties('AWS::WAFv2::IPSet', {
            IPAddressVersion: 'IPV4',
            Addresses: ['192.0.2.0/24'],
          });
          template.hasResourceProperties('AWS::WAFv2::IPSet', {
            IPAddressVersion: 'IPV6',
            Addresses: ['2001:db8::/32'],
          });
          template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
        });
      });
    }
  });
}

describe('WebhookPipelineStack options', () => {
  it('lets the WAF allow everyone (signatures still checked) when no allowlist is given', () => {
    const { template } = synthesize({ ...TEST_CONFIG, frontDoor: 'rest-api' });
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      DefaultAction: { Allow: {} },
      Rules: [
        Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ Limit: 10_000 }) } }),
        Match.objectLike({ Name: 'body-too-large' }),
      ],
    });
    template.resourceCountIs('AWS::WAFv2::IPSet', 0);
  });

  it('applies overrides, drops the e-mail subscription and lets data be destroyed with the stack', () => {
    const { template } = synthesize({
      ...TEST_CONFIG,
      alarms: {},
      queue: { processorTimeoutSeconds: 60, maxReceiveCount: 8, batchSize: 50, maxConcurrency: 20 },
      logRetentionDays: 90,
      retainDataOnDelete: false,
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 360,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 8 }),
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 50,
      ScalingConfig: { MaximumConcurrency: 20 },
    });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });

  it('rejects an invalid configuration in the constructor', () => {
    assert.throws(
      () => synthesize({ ...TEST_CONFIG, waf: { rateLimitPer5Minutes: 100 } }),
      /waf applies only/,
    );
  });
});
