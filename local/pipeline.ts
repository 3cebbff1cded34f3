/**
 * The whole pipeline on one machine: the real AWS emulators, the CDP stand-in, the queue/DLQ/table/bucket
 * derived from the stack's definitions, the REAL ingest handler behind a local API Gateway, and the REAL
 * processor handler behind a Lambda-like SQS poller. Used by `npm start`, the end-to-end tests and the
 * chaos/drill scripts.
 *
 * The handlers read their configuration from the environment when their modules load (as on Lambda), so
 * this sets `process.env` before importing them. One pipeline runs per process at a time; a pipeline
 * started again in the same process reuses the previous run's ports (whatever options say), so the
 * already-loaded handlers' clients and settings stay valid.
 */
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createSqsClient } from '../lambdas/shared/aws-clients';
import { createS3Client } from '../lambdas/shared/s3-client';
import { ENV } from '../lambdas/shared/schema';
import { parseSources, type SourceConfig } from '../lambdas/shared/source-config';
import { type PipelineConfig, PipelineConfigError, type QueueOverrides } from '../lib/config';
import { pipelineConfig } from '../lib/pipeline-config';
import {
  localResourceDefinitions,
  type ResourceDefinitions,
  runtimeSources,
} from '../lib/resource-definitions';
import { type CdpStandIn, startCdpStandIn } from './cdp-stand-in';
import { assertPortFree, type Emulators, emulatorEnv, startEmulators } from './emulators';
import { type HttpApiHandler, type HttpGateway, startHttpGateway } from './http-gateway';
import {
  addMissingSources,
  ensureLocalSecretsFile,
  LOCAL_SECRET_IDS,
  readLocalSecrets,
  SECRETS_EXAMPLE_PATH,
  SECRETS_LOCAL_PATH,
  secretStringOf,
} from './local-secrets';
import { createLocalResources, type LocalResources } from './resources';
import { startLocalSecretsManager } from './secrets-manager-server';
import { type BatchOutcome, type SqsBatchHandler, type SqsPoller, startSqsPoller } from './sqs-poller';

/** Repository root (local/..), for `.local/`. */
const ROOT = join(import.meta.dirname, '..');
/** Where `--persist` keeps DynamoDB Local's data (git-ignored). */
export const PERSIST_DIR = join(ROOT, '.local', 'dynamodb');

export interface LocalPipelineOptions {
  /** Port of the webhook endpoint. @default 3000; 0 picks a free one */
  readonly port?: number;
  /** Port of the CDP stand-in. @default 4010; 0 picks a free one */
  readonly cdpPort?: number;
  /** Keep DynamoDB data (dedupe records) in `.local/dynamodb` across runs. @default false */
  readonly persist?: boolean;
  /** The pipeline configuration (sources, queue settings). @default lib/pipeline-config.ts */
  readonly config?: PipelineConfig;
  /**
   * Queue and event-source-mapping overrides on top of the configuration's (tests and drills shorten
   * `maxReceiveCount` or the batching window); validated by the same rules as a deployment.
   */
  readonly queue?: QueueOverrides;
  /** The secrets file; created from the example when missing. @default local/secrets.local.json */
  readonly secretsPath?: string;
  /** How long to wait for DynamoDB Local's JVM to answer. @default 60000 */
  readonly startTimeoutMs?: number;
  /** Long-poll wait of the poller, seconds. @default 20 */
  readonly pollWaitSeconds?: number;
  /**
   * Use already running emulators (e.g. behind a measuring proxy); they are not stopped by `stop()`. This
   * run's secrets go into a Secrets Manager stand-in of its own. @default started here
   */
  readonly emulators?: Emulators;
  /**
   * Prefix of the queue, DLQ, table and bucket names. On shared emulators several processes (parallel
   * test files, a bench beside `npm start`) must not consume each other's queues, so the default there is
   * per process. @default `webhook-pipeline`, or `webhook-pipeline-<pid>` with `emulators`
   */
  readonly resourcePrefix?: string;
  /** Lines for the console (setup notes, one line per request and per batch). @default console.log */
  readonly log?: (line: string) => void;
  /** Handler logs at ERROR only and no metrics output (tests). @default false */
  readonly quiet?: boolean;
  /**
   * Puts something in front of the Secrets Manager stand-in (the chaos run's outage switch): gets the
   * stand-in's endpoint, returns the one the handlers use. @default the stand-in itself
   */
  readonly secretsManagerFront?: (endpoint: string) => Promise<string>;
  /**
   * Wraps the real handlers once they are loaded (chaos scripts inject latency or crashes around them).
   * @default the handlers unchanged
   */
  readonly wrapHandlers?: (real: { ingest: HttpApiHandler; processor: SqsBatchHandler }) => {
    ingest: HttpApiHandler;
    processor: SqsBatchHandler;
  };
}

export interface LocalPipeline {
  /** `http://localhost:<port>`, the webhook endpoint's base URL. */
  readonly url: string;
  /** Each source's webhook URL, by source id. */
  readonly sourceUrls: Readonly<Record<string, string>>;
  readonly sources: readonly SourceConfig[];
  readonly cdp: CdpStandIn;
  readonly resources: LocalResources;
  /** The resource settings in use, from lib/resource-definitions.ts. */
  readonly definitions: ResourceDefinitions;
  readonly emulators: Emulators;
  readonly poller: SqsPoller;
  /** The environment the handlers run with (names and endpoints only). */
  readonly env: Readonly<Record<string, string>>;
  /** The secrets file in use, and whether this run created it or added sources to it. */
  readonly secrets: {
    readonly path: string;
    readonly created: boolean;
    readonly addedSources: readonly string[];
  };
  /** Stops the poller, the servers and (when started here) the emulators. Safe to call twice. */
  stop(): Promise<void>;
}

/** Thrown for configuration that local mode cannot run with; the message says what to change. */
export class LocalConfigError extends Error {
  override readonly name = 'LocalConfigError';
}

let running = false;
const previousPorts: {
  gateway?: number;
  cdp?: number;
  fauxqs?: number;
  dynamodb?: number;
  secrets?: number;
} = {};

function portOf(url: string): number {
  return Number(new URL(url).port);
}

function toSourceConfigs(config: PipelineConfig, baseUrl: string): SourceConfig[] {
  return runtimeSources(config.sources, (source) => LOCAL_SECRET_IDS.source(source.id)).map((source) => ({
    ...source,
    // URL-bound schemes (Twilio, HubSpot, Square) verify against the URL the sender called: locally, this one.
    publicUrl: `${baseUrl}/webhooks/${source.id}`,
  }));
}

/** Starts everything; on failure, stops what had started and rethrows. */
export async function startLocalPipeline(options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
  if (running) throw new LocalConfigError('A local pipeline is already running in this process');
  running = true;
  const log = options.log ?? ((line: string) => console.log(line));
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    cleanups.length = 0;
    running = false;
  };

  try {
    const base = options.config ?? pipelineConfig;
    const config: PipelineConfig = options.queue
      ? { ...base, queue: { ...base.queue, ...options.queue } }
      : base;
    let definitions: ResourceDefinitions;
    try {
      const prefix =
        options.resourcePrefix ??
        (options.emulators ? `webhook-pipeline-${process.pid}` : 'webhook-pipeline');
      definitions = localResourceDefinitions(config, prefix);
    } catch (error) {
      if (error instanceof PipelineConfigError) {
        throw new LocalConfigError(`lib/pipeline-config.ts: ${error.message}`);
      }
      throw error;
    }

    const secretsPath = options.secretsPath ?? SECRETS_LOCAL_PATH;
    const created = ensureLocalSecretsFile(secretsPath, SECRETS_EXAMPLE_PATH);
    const { file: secrets, added } = addMissingSources(
      secretsPath,
      readLocalSecrets(secretsPath),
      config.sources.map((d) => ({ id: d.id, provider: d.provider })),
    );

    // Handlers loaded by an earlier run in this process keep the URLs they were given: reuse those ports.
    const gatewayPort = previousPorts.gateway ?? options.port ?? 3000;
    const cdpPort = previousPorts.cdp ?? options.cdpPort ?? 4010;
    // Busy fixed ports fail before DynamoDB Local's JVM is started.
    if (gatewayPort) await assertPortFree(gatewayPort, 'webhook endpoint; e.g. npm start -- --port 3001');
    if (cdpPort) await assertPortFree(cdpPort, 'CDP stand-in; e.g. npm start -- --cdp-port 4011');

    const secretValues: Record<string, string> = {
      [LOCAL_SECRET_IDS.cdpApiKey]: JSON.stringify({ apiKey: secrets.cdpApiKey }),
    };
    for (const source of config.sources) {
      const entry = secrets.sources[source.id];
      if (entry) secretValues[LOCAL_SECRET_IDS.source(source.id)] = secretStringOf(entry);
    }

    let emulators: Emulators;
    if (options.emulators) {
      const secretsManager = await startLocalSecretsManager(secretValues, previousPorts.secrets ?? 0);
      cleanups.push(() => secretsManager.stop());
      emulators = {
        ...options.emulators,
        secretsManagerEndpoint: secretsManager.endpoint,
        stop: async () => {},
      };
    } else {
      log('Starting DynamoDB Local, fauxqs (SQS + S3) and the Secrets Manager stand-in…');
      const started = await startEmulators({
        secrets: secretValues,
        fauxqsPort: previousPorts.fauxqs ?? 0,
        dynamodbPort: previousPorts.dynamodb ?? 0,
        secretsManagerPort: previousPorts.secrets ?? 0,
        startTimeoutMs: options.startTimeoutMs ?? 60_000,
        ...(options.persist ? { dynamodbDataDir: PERSIST_DIR } : {}),
      });
      cleanups.push(() => started.stop());
      emulators = started;
      previousPorts.fauxqs = portOf(started.fauxqsEndpoint);
      previousPorts.dynamodb = portOf(started.dynamodbEndpoint);
    }
    previousPorts.secrets = portOf(emulators.secretsManagerEndpoint);
    if (options.secretsManagerFront) {
      const front = await options.secretsManagerFront(emulators.secretsManagerEndpoint);
      emulators = { ...emulators, secretsManagerEndpoint: front };
    }
    Object.assign(process.env, emulatorEnv(emulators));

    const resources = await createLocalResources(
      { sqs: createSqsClient(), dynamodb: new DynamoDBClient({}), s3: createS3Client() },
      definitions,
    );

    const cdp = await startCdpStandIn({ port: cdpPort, apiKey: secrets.cdpApiKey });
    cleanups.push(() => cdp.stop());
    previousPorts.cdp = portOf(cdp.url);

    let ingest: HttpApiHandler | undefined;
    const gateway: HttpGateway = await startHttpGateway({
      port: gatewayPort,
      functionTimeoutMs: definitions.ingestFunction.timeoutSeconds * 1000,
      handler: (event, context) => {
        if (!ingest) return Promise.resolve({ statusCode: 503, body: '{"message":"Service Unavailable"}' });
        return ingest(event, context);
      },
      onRequest: (r) => log(`[ingest] ${r.method} ${r.path} → ${r.status} (${r.durationMs} ms)`),
    });
    cleanups.push(() => gateway.stop());
    previousPorts.gateway = gateway.port;

    const sources = toSourceConfigs(config, gateway.url);
    const sourcesJson = JSON.stringify(sources);
    try {
      parseSources(sourcesJson);
    } catch (error) {
      throw new LocalConfigError(`lib/pipeline-config.ts: ${(error as Error).message}`);
    }
    const env: Record<string, string> = {
      ...emulatorEnv(emulators),
      [ENV.sources]: sourcesJson,
      [ENV.queueUrl]: resources.queueUrl,
      [ENV.dlqUrl]: resources.dlqUrl,
      [ENV.claimCheckBucket]: resources.bucketName,
      [ENV.stateTable]: resources.tableName,
      [ENV.cdpBaseUrl]: cdp.url,
      [ENV.cdpApiKeySecretId]: LOCAL_SECRET_IDS.cdpApiKey,
      [ENV.maxReceiveCount]: String(definitions.deadLetterQueue.maxReceiveCount),
      [ENV.visibilityTimeoutSeconds]: String(definitions.queue.visibilityTimeoutSeconds),
      [ENV.queueRetentionSeconds]: String(definitions.queue.retentionSeconds),
      [ENV.dlqRetentionSeconds]: String(definitions.deadLetterQueue.retentionSeconds),
      [ENV.claimCheckThresholdBytes]: String(definitions.claimCheckBucket.thresholdBytes),
    };
    Object.assign(process.env, env);
    const observability: Record<string, string> = options.quiet
      ? { POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' }
      : { POWERTOOLS_METRICS_DISABLED: 'true' };
    for (const [name, value] of Object.entries(observability)) process.env[name] ??= value;

    const real = {
      ingest: (await import('../lambdas/ingest/handler')).handler as HttpApiHandler,
      processor: (await import('../lambdas/processor/handler')).handler as SqsBatchHandler,
    };
    const handlers = options.wrapHandlers ? options.wrapHandlers(real) : real;
    ingest = handlers.ingest;

    const waitTimeSeconds = options.pollWaitSeconds ?? 20;
    const poller = await startSqsPoller({
      // Long polls outlast the SDK's usual request timeout: give the poller's client room for the wait.
      sqs: createSqsClient({
        connectionTimeoutMs: 1000,
        requestTimeoutMs: (waitTimeSeconds + 5) * 1000,
        maxAttempts: 3,
      }),
      waitTimeSeconds,
      queueUrl: resources.queueUrl,
      queueArn: resources.queueArn,
      handler: handlers.processor,
      batchSize: definitions.eventSourceMapping.batchSize,
      maxBatchingWindowMs: definitions.eventSourceMapping.maxBatchingWindowSeconds * 1000,
      functionTimeoutMs: definitions.processorFunction.timeoutSeconds * 1000,
      maxConcurrency: definitions.eventSourceMapping.maxConcurrency,
      onBatch: (outcome) => log(describeBatch(outcome)),
      onError: (error) => log(`[processor] poller: ${(error as Error).message ?? String(error)}`),
    });
    // On emulators that outlive this pipeline, an abandoned long poll would swallow the next message.
    cleanups.push(() => poller.stop(undefined, { abortInFlightPolls: !options.emulators }));

    const sourceUrls = Object.fromEntries(sources.map((s) => [s.id, `${gateway.url}/webhooks/${s.id}`]));
    let stopped = false;
    return {
      url: gateway.url,
      sourceUrls,
      sources,
      cdp,
      resources,
      definitions,
      emulators,
      poller,
      env,
      secrets: { path: secretsPath, created, addedSources: added },
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function describeBatch(outcome: BatchOutcome): string {
  const n = outcome.messageIds.length;
  const base = `[processor] batch of ${n}: ${outcome.succeeded.length} done`;
  if (outcome.batchError)
    return `${base}, whole batch failed (${outcome.batchError}) (${outcome.durationMs} ms)`;
  if (outcome.failed.length) {
    return `${base}, ${outcome.failed.length} to retry after the visibility timeout (${outcome.durationMs} ms)`;
  }
  return `${base} (${outcome.durationMs} ms)`;
}
