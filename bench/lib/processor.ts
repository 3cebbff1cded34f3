import type { Claim, ClaimInput, ClaimResult, DedupeStore } from '../../lambdas/dedupe/dedupe-store';
import { processorDepsFromEnv as productionDeps } from '../../lambdas/processor/deps';
import type {
  MetricDimensions,
  ProcessorLogger,
  ProcessorMetricName,
  ProcessorMetrics,
} from '../../lambdas/processor/ports';
import type { ProcessorDeps } from '../../lambdas/processor/processor';
import type { DedupeRecord } from '../../lambdas/shared/schema';
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

/** The production dependencies (lambdas/processor/deps.ts) with a silent logger and the given counter. */
export function processorDepsFromEnv(
  metrics: ProcessorMetrics,
  env: NodeJS.ProcessEnv = process.env,
): ProcessorDeps {
  return productionDeps({ logger: silentLogger, metrics }, env);
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
