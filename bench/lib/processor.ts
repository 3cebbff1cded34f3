import { processorDepsFromEnv as productionDeps } from '../../lambdas/processor/deps';
import type {
  MetricDimensions,
  ProcessorLogger,
  ProcessorMetricName,
  ProcessorMetrics,
} from '../../lambdas/processor/ports';
import type { ProcessorDeps } from '../../lambdas/processor/processor';
import { PROCESSOR_LOG_METRICS } from '../../lambdas/shared/log-metrics';
import { logMetricPoints } from '../../scripts/verify-deployment/metric-filters';
import type { Rng } from './prng';

/**
 * Counts every metric the processor produces, by name and by name + class: the EMF counters it records,
 * and the counters its log lines give through the metric filters (`Processed`, `DuplicateSkipped`), read
 * by {@link MetricCounter.logger} (which writes nothing). `CdpLatency` is a latency, not a count: skipped.
 */
export class MetricCounter implements ProcessorMetrics {
  readonly totals: Record<string, number> = {};
  readonly byClass: Record<string, number> = {};
  readonly logger: ProcessorLogger;
  constructor() {
    const count = (message: string, ...extra: Record<string, unknown>[]) => {
      const line = Object.assign({ message, service: 'webhook-processor' }, ...extra);
      for (const point of logMetricPoints(PROCESSOR_LOG_METRICS, line)) {
        if (point.name !== 'CdpLatency')
          this.totals[point.name] = (this.totals[point.name] ?? 0) + point.value;
      }
    };
    this.logger = { debug() {}, info: count, warn: count, error: count };
  }
  record(name: ProcessorMetricName, dimensions: MetricDimensions, value = 1): void {
    this.totals[name] = (this.totals[name] ?? 0) + value;
    if (dimensions.class) {
      const key = `${name}/${dimensions.class}`;
      this.byClass[key] = (this.byClass[key] ?? 0) + value;
    }
  }
}

/** Logs nothing; the run's figures come from metrics and the stand-in's records. */
export const silentLogger: ProcessorLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** The production dependencies (lambdas/processor/deps.ts) with the given counter and a logger that writes nothing. */
export function processorDepsFromEnv(
  metrics: ProcessorMetrics,
  env: NodeJS.ProcessEnv = process.env,
): ProcessorDeps {
  const logger = metrics instanceof MetricCounter ? metrics.logger : silentLogger;
  return productionDeps({ logger, metrics }, env);
}

/** Thrown by the crash injector; the processor treats it like any unexpected error (retry later). */
export class InjectedCrashError extends Error {
  override readonly name = 'InjectedCrashError';
}

/**
 * Crashes at the worst moments: just before a named bookkeeping call that follows a successful CDP write
 * (the entity guard's `commit`, the dedupe store's `recordApplied` and `markCompleted`). The wrapped port
 * throws instead of calling through, as a process that dies there would leave things: the CDP has the
 * write, the bookkeeping does not, any lock or lease stays until it expires. Only the CDP's
 * Idempotency-Key and the design's handling of "maybe applied" stand between a retry and a double effect
 * or a stale overwrite. A Proxy, so the ports' other (and future) methods pass through unchanged.
 */
export class CrashInjector {
  /** Injected crashes by point (`guard.commit`, `dedupe.recordApplied`, …). */
  readonly byPoint: Record<string, number> = {};
  constructor(
    private readonly rate: number,
    private readonly rng: Rng,
  ) {}

  get crashes(): number {
    return Object.values(this.byPoint).reduce((a, b) => a + b, 0);
  }

  /** `inner` with a crash chance before each of `methods`; `label` names the port in `byPoint`. */
  wrap<T extends object>(inner: T, label: string, methods: readonly string[]): T {
    const points = new Set(methods);
    return new Proxy(inner, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        const method = value as (...args: unknown[]) => unknown;
        if (typeof property !== 'string' || !points.has(property)) return method.bind(target);
        return async (...args: unknown[]) => {
          if (this.rng.chance(this.rate)) {
            const point = `${label}.${property}`;
            this.byPoint[point] = (this.byPoint[point] ?? 0) + 1;
            throw new InjectedCrashError(`Injected crash after the CDP write, before ${point}`);
          }
          return method.apply(target, args);
        };
      },
    });
  }
}
