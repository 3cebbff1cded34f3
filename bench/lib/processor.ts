/**
 * The processor as the Lambda handler wires it (lambdas/processor/handler.ts), built here from the same
 * environment so the chaos and drill runs can inject faults through the interfaces the processor already
 * takes (a dedupe store that crashes, a broken CDP writer) and read its metrics without parsing EMF.
 */
import { CdpClient, secretApiKeyProvider } from '../../lambdas/cdp/client';
import {
  type Claim,
  type ClaimInput,
  type ClaimResult,
  type DedupeStore,
  DynamoDedupeStore,
} from '../../lambdas/dedupe/dedupe-store';
import { DynamoEntityGuard } from '../../lambdas/dedupe/entity-guard';
import { S3BodyStore, SqsQueuePort } from '../../lambdas/processor/aws-ports';
import type {
  MetricDimensions,
  ProcessorLogger,
  ProcessorMetricName,
  ProcessorMetrics,
} from '../../lambdas/processor/ports';
import type { ProcessorDeps } from '../../lambdas/processor/processor';
import {
  createDynamoDocumentClient,
  createS3Client,
  createSecretsManagerClient,
  createSqsClient,
  PROCESSOR_TIMEOUTS,
} from '../../lambdas/shared/aws-clients';
import type { DedupeRecord } from '../../lambdas/shared/schema';
import { ENV } from '../../lambdas/shared/schema';
import { CachedSecretsManagerSource } from '../../lambdas/shared/secrets';
import { parseSources } from '../../lambdas/shared/source-config';
import type { Rng } from './prng';

/** Counts every metric the processor records, by name and by name + class. */
export class MetricCounter implements ProcessorMetrics {
  readonly totals: Record<string, number> = {};
  readonly byClass: Record<string, number> = {};
  record(name: ProcessorMetricName, dimensions: MetricDimensions, value = 1): void {
    if (name === 'CdpLatency') return;
    this.totals[name] = (this.totals[name] ?? 0) + value;
    if (dimensions.class) {
      const key = `${name}/${dimensions.class}`;
      this.byClass[key] = (this.byClass[key] ?? 0) + value;
    }
  }
}

/** Logs nothing; the run's figures come from metrics and the stand-in's records. */
export const silentLogger: ProcessorLogger = { debug() {}, info() {}, warn() {}, error() {} };

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set (start the local pipeline first)`);
  return value;
}

/** The production dependencies of the processor, from the environment local mode sets. */
export function processorDepsFromEnv(
  metrics: ProcessorMetrics,
  env: NodeJS.ProcessEnv = process.env,
): ProcessorDeps {
  const dynamo = createDynamoDocumentClient(PROCESSOR_TIMEOUTS);
  const tableName = required(env, ENV.stateTable);
  const queueUrl = env[ENV.queueUrl];
  return {
    dedupe: new DynamoDedupeStore(dynamo, tableName),
    guard: new DynamoEntityGuard(dynamo, tableName),
    cdp: new CdpClient({
      baseUrl: required(env, ENV.cdpBaseUrl),
      apiKey: secretApiKeyProvider(
        new CachedSecretsManagerSource(createSecretsManagerClient(PROCESSOR_TIMEOUTS)),
        required(env, ENV.cdpApiKeySecretId),
      ),
      connectTimeoutMs: PROCESSOR_TIMEOUTS.connectionTimeoutMs,
      requestTimeoutMs: PROCESSOR_TIMEOUTS.requestTimeoutMs,
    }),
    queue: new SqsQueuePort(
      createSqsClient(PROCESSOR_TIMEOUTS),
      required(env, ENV.dlqUrl),
      queueUrl ? [queueUrl] : [],
    ),
    bodies: new S3BodyStore(createS3Client(PROCESSOR_TIMEOUTS)),
    sources: parseSources(required(env, ENV.sources)),
    logger: silentLogger,
    metrics,
    maxReceiveCount: Number(env[ENV.maxReceiveCount] ?? 5),
  };
}

/** Thrown by the crash injector; the processor treats it like any unexpected error (retry later). */
export class InjectedCrashError extends Error {
  override readonly name = 'InjectedCrashError';
}

/**
 * A dedupe store that "crashes" with probability `rate` right after a CDP write succeeded and before the
 * write is recorded (`recordApplied`) or the event is marked completed (`markCompleted`): the worst
 * moment, where only the CDP's Idempotency-Key stands between a retry and a double effect.
 */
export class CrashingDedupeStore implements DedupeStore {
  crashes = 0;
  constructor(
    private readonly inner: DedupeStore,
    private readonly rate: number,
    private readonly rng: Rng,
  ) {}
  claim(input: ClaimInput): Promise<ClaimResult> {
    return this.inner.claim(input);
  }
  async recordApplied(claim: Claim, operationKey: string, nowMs: number): Promise<void> {
    this.maybeCrash('after the CDP write, before recording it');
    return this.inner.recordApplied(claim, operationKey, nowMs);
  }
  async markCompleted(claim: Claim, nowMs: number, ttlSeconds: number): Promise<void> {
    this.maybeCrash('after the CDP writes, before marking the event completed');
    return this.inner.markCompleted(claim, nowMs, ttlSeconds);
  }
  release(claim: Claim, nowMs: number, lastError: string): Promise<void> {
    return this.inner.release(claim, nowMs, lastError);
  }
  get(dedupeKey: string): Promise<DedupeRecord | undefined> {
    return this.inner.get(dedupeKey);
  }
  private maybeCrash(where: string): void {
    if (this.rng.chance(this.rate)) {
      this.crashes += 1;
      throw new InjectedCrashError(`Injected crash ${where}`);
    }
  }
}
