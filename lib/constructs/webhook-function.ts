/**
 * The house Lambda function: every function of the pipeline is a `WebhookFunction`, so runtime,
 * architecture, bundling, logging and grants follow one set of decisions. {@link HouseFunctionChecker}
 * reports any raw `NodejsFunction` that slips past it.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import {
  Annotations,
  AssetHashType,
  CfnElement,
  DockerImage,
  Duration,
  type IAspect,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';
import type { LogMetricFilter } from '../../lambdas/shared/log-metrics';
import { TRACING_ENV } from '../../lambdas/shared/tracing';
import {
  BUNDLE_FILE,
  BUNDLE_HANDLER,
  type HouseBundleVariant,
  houseEsbuildOptions,
  prebuiltBundleDir,
} from './house-bundle';

export { ESM_REQUIRE_BANNER, HOUSE_ESBUILD_TARGET } from './house-bundle';

/** The Node.js LTS runtime every function uses (Active LTS at the time of writing). */
export const HOUSE_RUNTIME = lambda.Runtime.NODEJS_24_X;
/** Source-mapped stack traces in the logs; the cold-start benchmark runs its bundles with the same flag. */
export const HOUSE_NODE_OPTIONS = '--enable-source-maps';

export interface WebhookFunctionProps {
  /**
   * Absolute path of the TypeScript entry file below `projectRoot`/lambdas; it must export `handler`.
   * Bundled at synth when it exists (a checkout); otherwise its prebuilt bundle is used (see
   * {@link houseFunctionCode}).
   */
  readonly entry: string;
  /** Absolute path of the package root (holds `lambdas/` in a checkout, `dist/lambdas/` when installed). */
  readonly projectRoot: string;
  /** Function timeout. @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** Memory in MB. @default 512 */
  readonly memorySize?: number;
  /** Days the function's log group keeps logs (a value CloudWatch accepts). @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the log group when the stack is deleted. @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Non-secret environment variables (names and ARNs only). @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** Powertools service name (logs and metrics). */
  readonly serviceName: string;
  /** Powertools metrics namespace; also the namespace of the metric filters' metrics. */
  readonly metricsNamespace: string;
  /**
   * Metrics taken from the function's own log lines by CloudWatch Logs metric filters on its log group
   * (free, unlike the log bytes an EMF line costs), one `AWS::Logs::MetricFilter` each, in
   * `metricsNamespace`. Definitions shared with the handlers' log calls: lambdas/shared/log-metrics.ts.
   * @default - none
   */
  readonly metricFilters?: readonly LogMetricFilter[];
  /** Reserved concurrency. @default - unreserved */
  readonly reservedConcurrentExecutions?: number;
  /** Short description shown in the console. @default - none */
  readonly description?: string;
  /**
   * AWS X-Ray active tracing with Powertools Tracer (lambdas/shared/tracing.ts): sets `Tracing.ACTIVE` (CDK
   * adds the X-Ray write permissions), tells the handler through `PIPELINE_TRACING`, and bundles the
   * tracer. Off, the bundle leaves the tracer out, so cold starts pay nothing for it. @default false
   */
  readonly tracing?: boolean;
}

/** How a function uses a queue. */
export type QueueAccess = 'send';
/** How a function uses the table. */
export type TableAccess = 'read' | 'readWrite';
/**
 * How a function uses a bucket's objects: write them (also needed to copy an object onto itself, which
 * restarts its lifecycle clock), read them, delete them.
 */
export type BucketAccess = 'put' | 'get' | 'delete';

const BUCKET_ACTIONS: Readonly<Record<BucketAccess, string>> = {
  put: 's3:PutObject',
  get: 's3:GetObject',
  delete: 's3:DeleteObject',
};

// Only what the code calls (GetCommand, PutCommand, UpdateCommand): records end by TTL, never by DeleteItem.
const ITEM_READ_ACTIONS = ['dynamodb:GetItem'];
const ITEM_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem'];

/**
 * The function's code, in one of two forms with the same esbuild options (lib/constructs/house-bundle.ts):
 * - in a checkout (the TypeScript entry exists), esbuild bundles it at synth, so an edit is always what
 *   deploys and no `npm run build` can be stale;
 * - in the installed package (it ships no TypeScript, and its users have no esbuild or TypeScript), the
 *   bundle `npm run build` made, the folder dist/lambdas/<entry path>/ (index.mjs, its chunks/ and their
 *   source maps), taken as it is.
 * Either way the whole output folder is the asset: the entry imports its chunks by relative path.
 * Not `NodejsFunction`, which can only bundle from source and needs the checkout's lock file.
 */
export function houseFunctionCode(
  id: string,
  entry: string,
  projectRoot: string,
  variant: HouseBundleVariant = {},
): lambda.Code {
  if (existsSync(entry)) {
    return lambda.Code.fromAsset(projectRoot, {
      // Hash of the bundle, not of the project folder: a change elsewhere in the repo changes nothing.
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Never pulled: local bundling succeeds or throws, it never falls back to Docker.
        image: DockerImage.fromRegistry('house-bundling-is-local-esbuild-only'),
        // Part of CDK's staging cache key (the `local` callback is not): without it, every function
        // bundled from the same project root would get the first one's bundle (and a traced one an untraced).
        command: ['esbuild', relative(projectRoot, entry), ...(variant.tracing ? ['--traced'] : [])],
        local: {
          tryBundle(outputDir) {
            // Loaded only here: esbuild is a development dependency of the checkout, absent when installed.
            const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
            // Built as if into the prebuilt folder, then written here: chunk names hash the source maps,
            // whose paths are relative to the output folder, so this keeps both forms byte for byte alike.
            const canonicalDir = prebuiltBundleDir(projectRoot, entry, variant);
            const { outputFiles } = esbuild.buildSync({
              ...houseEsbuildOptions(entry, canonicalDir, projectRoot, variant),
              write: false,
            });
            for (const file of outputFiles) {
              const target = join(outputDir, relative(canonicalDir, file.path));
              mkdirSync(dirname(target), { recursive: true });
              writeFileSync(target, file.contents);
            }
            return true;
          },
        },
      },
    });
  }
  const bundleDir = prebuiltBundleDir(projectRoot, entry, variant);
  if (!existsSync(join(bundleDir, BUNDLE_FILE))) {
    throw new Error(
      `${id}: neither the handler source ${entry} (a checkout) nor its prebuilt bundle ${join(bundleDir, BUNDLE_FILE)} (the installed package; \`npm run build\` makes it) exists`,
    );
  }
  return lambda.Code.fromAsset(bundleDir);
}

/**
 * A Lambda function with the house defaults: arm64, the current Node LTS runtime, ESM output with a
 * `require` shim, minified with source maps (enabled at runtime), bundled by the local esbuild (never
 * Docker) or prebuilt with the same options ({@link houseFunctionCode}), an explicit log group with
 * retention, and an execution role that can write only to that log group. Access to other resources goes
 * through the `bind*` methods, which set the environment variable and the grant together so neither can
 * be forgotten.
 */
export class WebhookFunction extends lambda.Function {
  constructor(scope: Construct, id: string, props: WebhookFunctionProps) {
    const memorySize = props.memorySize ?? 512;
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10_240) {
      throw new Error(
        `${id}: memorySize must be a whole number of MB between 128 and 10240, got ${memorySize}`,
      );
    }
    const timeout = props.timeout ?? Duration.seconds(10);
    if (timeout.toSeconds() < 1 || timeout.toSeconds() > 900) {
      throw new Error(`${id}: timeout must be between 1 and 900 seconds, got ${timeout.toSeconds()}`);
    }
    for (const name of Object.keys(props.environment ?? {})) {
      if (!/^[A-Z][A-Z0-9_]*$/.test(name))
        throw new Error(`${id}: environment variable ${name} is not SCREAMING_SNAKE_CASE`);
    }
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    const filterNames = new Set<string>();
    for (const filter of props.metricFilters ?? []) {
      // One mechanism per metric name, and one filter per name on a log group (two would double-count).
      if (filterNames.has(filter.metricName))
        throw new Error(`${id}: two metric filters for ${filter.metricName}`);
      filterNames.add(filter.metricName);
      logGroup.addMetricFilter(`${filter.metricName}Filter`, {
        filterPattern: logs.FilterPattern.literal(filter.filterPattern),
        metricNamespace: props.metricsNamespace,
        metricName: filter.metricName,
        metricValue: filter.metricValue,
        // No defaultValue: CloudWatch refuses one with dimensions, and "no line, no point" is what EMF did.
        dimensions: { ...filter.dimensions },
        unit: filter.unit === 'Milliseconds' ? cloudwatch.Unit.MILLISECONDS : cloudwatch.Unit.COUNT,
      });
    }
    // Own role instead of AWSLambdaBasicExecutionRole: it could write to every log group in the account.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id}`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    super(scope, id, {
      code: houseFunctionCode(id, props.entry, props.projectRoot, { tracing: props.tracing ?? false }),
      handler: BUNDLE_HANDLER,
      runtime: HOUSE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      timeout,
      role,
      logGroup,
      // JSON lines (Powertools already writes them) so the log levels below apply. System logs at WARN:
      // Lambda's START/END/REPORT lines of invocations that succeed (~300 bytes each, as much as the
      // event's own line) are not written; failures, timeouts and dropped logs still are. Durations stay in
      // the function's Duration metric. Application logs at INFO, Powertools' default level, and not lower:
      // the success path's INFO lines are what the metric filters count (`Enqueued`, `Processed`): above
      // INFO they would vanish, and the per-source silence alarms with them.
      loggingFormat: lambda.LoggingFormat.JSON,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      description: props.description,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        NODE_OPTIONS: HOUSE_NODE_OPTIONS,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
        ...(props.tracing ? { [TRACING_ENV]: 'true' } : {}),
        ...props.environment,
      },
      ...(props.tracing ? { tracing: lambda.Tracing.ACTIVE } : {}),
    });
    if (props.tracing) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Active tracing: CDK grants xray:PutTraceSegments and xray:PutTelemetryRecords, which take no resource ARN (X-Ray supports only "*" for them).',
      });
    }
  }

  /** Puts a queue's URL in `envName` and grants sending to it. */
  bindQueue(envName: string, queue: sqs.IQueue, access: QueueAccess): this {
    this.addEnvironment(envName, queue.queueUrl);
    // Only SendMessage (SendMessageBatch is authorised by it): not grantSendMessages, which adds
    // GetQueueAttributes and GetQueueUrl the code never calls. The queues use SSE-SQS, so no KMS grant.
    if (access === 'send') queue.grant(this, 'sqs:SendMessage');
    return this;
  }

  /** Puts the table name in `envName` and grants item-level access (no scans, no batch operations). */
  bindTable(envName: string, table: dynamodb.ITable, access: TableAccess): this {
    this.addEnvironment(envName, table.tableName);
    const actions =
      access === 'readWrite' ? [...ITEM_READ_ACTIONS, ...ITEM_WRITE_ACTIONS] : ITEM_READ_ACTIONS;
    table.grant(this, ...actions);
    return this;
  }

  /** Puts the bucket name in `envName` and grants the object-level actions asked for on it (nothing else). */
  bindBucket(envName: string, bucket: s3.IBucket, ...access: BucketAccess[]): this {
    this.addEnvironment(envName, bucket.bucketName);
    return this.grantBucket(bucket, ...access);
  }

  /** Grants object-level actions on a bucket whose name reaches the function another way (message bodies). */
  grantBucket(bucket: s3.IBucket, ...access: BucketAccess[]): this {
    if (access.length === 0) throw new Error('grantBucket: name at least one access');
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...new Set(access)].map((a) => BUCKET_ACTIONS[a]),
        resources: [bucket.arnForObjects('*')],
      }),
    );
    const cfnBucket = bucket.node.defaultChild;
    if (this.role !== undefined && cfnBucket instanceof CfnElement) {
      const stack = Stack.of(this);
      const logicalId: unknown = stack.resolve(stack.getLogicalId(cfnBucket));
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${String(logicalId)}.Arn>/*]`,
        reason:
          'Object-level access (only the actions the code calls) to the claim-check bucket; object keys are generated per event, so no narrower ARN exists.',
      });
    }
    return this;
  }

  /** Puts a secret's ARN in `envName` and grants reading its value. */
  bindSecret(envName: string, secret: secretsmanager.ISecret): this {
    this.addEnvironment(envName, secret.secretArn);
    secret.grantRead(this);
    return this;
  }

  /** Grants reading secrets whose ARNs reach the function another way (inside `PIPELINE_SOURCES`). */
  grantSecretsRead(secrets: readonly secretsmanager.ISecret[]): this {
    for (const secret of secrets) secret.grantRead(this);
    return this;
  }
}

/**
 * Reports, as an error annotation, every `NodejsFunction` that is not a {@link WebhookFunction}: those
 * would miss the house runtime, bundling and logging decisions. Add it to the app next to cdk-nag.
 */
export class HouseFunctionChecker implements IAspect {
  visit(node: IConstruct): void {
    if (node instanceof NodejsFunction && !(node instanceof WebhookFunction)) {
      Annotations.of(node).addError(
        `${node.node.path} is a raw NodejsFunction: use WebhookFunction (lib/constructs/webhook-function.ts)`,
      );
    }
  }
}
