/**
 * The chaos run behind `npm run chaos` and its CI version: local mode with the real emulators, thousands of
 * signed webhooks across providers (about 20 % duplicates, half of them sent concurrently with the
 * original), CDP faults (5xx, 429, timeouts whose write still lands, 422) and injected processor crashes
 * at the worst moment; then a reconciliation (bench/lib/reconcile.ts), throughput and latency figures.
 */
import { copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSBatchResponse } from 'aws-lambda';
import { MAX_RECEIVE_REASON } from '../../cli/dlq-message';
import { createProcessor, type ProcessorDeps } from '../../lambdas/processor/processor';
import { createSqsClient } from '../../lambdas/shared/aws-clients';
import { FAILURE_ATTRIBUTES } from '../../lambdas/shared/envelope';
import { pipelineConfig } from '../../lib/pipeline-config';
import type { CdpFaults } from '../../local/cdp-stand-in';
import type { Emulators } from '../../local/emulators';
import { readLocalSecrets, SECRETS_EXAMPLE_PATH } from '../../local/local-secrets';
import { type LocalPipeline, startLocalPipeline } from '../../local/pipeline';
import { postDelivery } from '../../local/send-webhooks';
import { createDeliveryFactory, type Delivery, type ExpectedEvent } from './deliveries';
import { createRng } from './prng';
import { CrashingDedupeStore, MetricCounter, processorDepsFromEnv } from './processor';
import { drainQueue, pool, queueTotal, waitUntilStable } from './queues';
import { type DeadLetter, logicalKeyOf, type Reconciliation, reconcile } from './reconcile';
import { type Distribution, distribution } from './stats';

export interface ChaosOptions {
  /** Webhook requests to send (duplicates included). @default 10000 */
  readonly count?: number;
  /** @default 1 */
  readonly seed?: number;
  /** Share of requests that re-deliver an earlier event. @default 0.2 */
  readonly duplicateRate?: number;
  /** Share of duplicates sent at the same moment as the original. @default 0.5 */
  readonly concurrentDuplicateShare?: number;
  /** Requests in flight. @default 16 */
  readonly concurrency?: number;
  /** CDP stand-in faults. @default DEFAULT_CHAOS_FAULTS */
  readonly faults?: CdpFaults;
  /** Probability of a crash at each "after the CDP write" bookkeeping step. @default 0.02 */
  readonly crashRate?: number;
  /** Probability that an invocation crashes after doing its work, before answering. @default 0.01 */
  readonly invocationCrashRate?: number;
  /** Retry backoff of the processor (seconds). @default {baseDelaySeconds: 2, maxDelaySeconds: 20} */
  readonly backoff?: { readonly baseDelaySeconds: number; readonly maxDelaySeconds: number };
  /** Replaces processor dependencies (the broken-build tests disable dedupe here). */
  readonly processorDeps?: (deps: ProcessorDeps) => ProcessorDeps;
  /** Already running emulators to use (not stopped afterwards); local mode starts its own otherwise. */
  readonly emulators?: Emulators;
  /** How long to wait for the queue to drain, ms. @default 900000 */
  readonly settleTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export const DEFAULT_CHAOS_FAULTS: CdpFaults = {
  status5xxRate: 0.03,
  status429Rate: 0.02,
  retryAfterSeconds: 1,
  timeoutRate: 0.01,
  timeoutMs: 8000,
  applyBeforeTimeout: true,
  status422Rate: 0.005,
};

export interface ChaosReport {
  readonly settings: Record<string, unknown>;
  readonly requests: {
    readonly sent: number;
    readonly accepted: number;
    /** Final status of deliveries never accepted, even after the provider-style retries. */
    readonly rejected: Record<string, number>;
    /** Re-sends after a 5xx or network error, as a provider would. */
    readonly providerRetries: number;
    readonly duplicates: number;
    readonly concurrentDuplicates: number;
  };
  readonly reconciliation: Reconciliation;
  readonly cdp: {
    readonly requests: number;
    readonly faults: Record<string, number>;
    readonly replayed: number;
    readonly effects: number;
  };
  readonly processor: {
    readonly metrics: Record<string, number>;
    readonly failuresByClass: Record<string, number>;
    readonly injectedCrashes: number;
    readonly invocationCrashes: number;
  };
  readonly throughput: { readonly ingestRequestsPerSecond: number; readonly endToEndEventsPerSecond: number };
  readonly latencyMs: { readonly ingest: Distribution; readonly endToEnd: Distribution };
  readonly durationMs: { readonly send: number; readonly total: number };
  readonly settled: boolean;
  readonly ok: boolean;
}

/** Short enough that a crashed or concurrent delivery's lease ends soon, long enough for a loaded laptop. */
const PROCESSOR_TIMEOUT_SECONDS = 10;
/** Attempts per delivery: a provider retries a 5xx or a network error (the ingest answers 503 under overload). */
const SEND_ATTEMPTS = 4;

interface Unit {
  readonly deliveries: Delivery[];
  readonly concurrent: boolean;
}

/** Runs the chaos scenario in this process (local mode must not already run here). */
export async function runChaos(options: ChaosOptions = {}): Promise<ChaosReport> {
  const count = options.count ?? 10_000;
  const seed = options.seed ?? 1;
  const log = options.log ?? (() => {});
  const rng = createRng(seed);
  const crashRng = createRng(seed + 1);
  const faults = options.faults ?? DEFAULT_CHAOS_FAULTS;
  const secretsPath = join(tmpdir(), `chaos-secrets-${process.pid}-${Date.now()}.json`);
  copyFileSync(SECRETS_EXAMPLE_PATH, secretsPath);
  const metrics = new MetricCounter();
  let crashing: CrashingDedupeStore | undefined;
  let invocationCrashes = 0;
  const ingestTimes: number[] = [];
  const started = Date.now();

  const pipeline: LocalPipeline = await startLocalPipeline({
    port: 0,
    cdpPort: 0,
    secretsPath,
    quiet: true,
    log: () => {},
    pollWaitSeconds: 1,
    ...(options.emulators ? { emulators: options.emulators } : {}),
    // A short function timeout keeps leases (and so the wait behind a crashed or concurrent delivery) short.
    queue: { processorTimeoutSeconds: PROCESSOR_TIMEOUT_SECONDS, maxReceiveCount: 5 },
    wrapHandlers: ({ ingest }) => {
      const real = processorDepsFromEnv(metrics);
      crashing = new CrashingDedupeStore(real.dedupe, options.crashRate ?? 0.02, crashRng);
      const base: ProcessorDeps = {
        ...real,
        dedupe: crashing,
        backoff: options.backoff ?? { baseDelaySeconds: 2, maxDelaySeconds: 20 },
      };
      const processor = createProcessor(options.processorDeps ? options.processorDeps(base) : base);
      const invocationCrashRate = options.invocationCrashRate ?? 0.01;
      return {
        ingest: async (event, context) => {
          const t0 = performance.now();
          try {
            return await ingest(event, context);
          } finally {
            ingestTimes.push(performance.now() - t0);
          }
        },
        processor: async (event, context): Promise<SQSBatchResponse> => {
          const response = await processor.handleBatch(event, context);
          // The function dies after its work and before answering (OOM, timeout): the whole batch comes back.
          if (crashRng.chance(invocationCrashRate)) {
            invocationCrashes += 1;
            throw new Error('Injected invocation crash after the work was done');
          }
          return response;
        },
      };
    },
  });

  try {
    pipeline.cdp.setFaults(faults);
    const file = readLocalSecrets(secretsPath);
    const factory = createDeliveryFactory({
      baseUrl: pipeline.url,
      sources: pipelineConfig.sources,
      secrets: file,
      rng,
    });

    // Plan: fresh events, concurrent duplicate pairs, and later re-deliveries (re-signed, like a provider retry).
    const units: Unit[] = [];
    const originals: Delivery[] = [];
    let planned = 0;
    let duplicates = 0;
    let concurrentDuplicates = 0;
    const duplicateRate = options.duplicateRate ?? 0.2;
    const concurrentShare = options.concurrentDuplicateShare ?? 0.5;
    while (planned < count) {
      if (originals.length > 0 && rng.chance(duplicateRate)) {
        if (rng.chance(concurrentShare) && planned + 2 <= count) {
          const original = factory.fresh();
          units.push({ deliveries: [original, factory.resign(original)], concurrent: true });
          originals.push(original);
          planned += 2;
          duplicates += 1;
          concurrentDuplicates += 1;
          continue;
        }
        const earlier = rng.pick(originals);
        units.push({ deliveries: [earlier], concurrent: false });
        planned += 1;
        duplicates += 1;
        continue;
      }
      const d = factory.fresh();
      originals.push(d);
      units.push({ deliveries: [d], concurrent: false });
      planned += 1;
    }

    const accepted = new Map<string, ExpectedEvent>();
    const firstSentAt = new Map<string, number>();
    const rejected: Record<string, number> = {};
    let acceptedRequests = 0;
    let sent = 0;
    let providerRetries = 0;
    const post = async (delivery: Delivery, isRetry: boolean) => {
      let status = 0;
      let text = '';
      let at = Date.now();
      for (let attempt = 1; attempt <= SEND_ATTEMPTS; attempt++) {
        // A re-delivery (or a retry after a 5xx) is re-signed like a provider's: same bytes, new signature time.
        const toSend = isRetry || attempt > 1 ? factory.resign(delivery) : delivery;
        if (attempt === 1) at = Date.now();
        try {
          ({ status, body: text } = await postDelivery(toSend));
        } catch {
          status = 0;
        }
        if (status > 0 && status < 500) break;
        providerRetries += 1;
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      }
      sent += 1;
      if (sent % 1000 === 0) log(`  sent ${sent}/${count}`);
      if (status < 200 || status >= 300) {
        rejected[status] = (rejected[status] ?? 0) + 1;
        return;
      }
      acceptedRequests += 1;
      const receipt = JSON.parse(text) as { eventIds?: string[] };
      for (const id of receipt.eventIds ?? []) {
        const expected = delivery.events.find((e) => e.dedupeKey === id);
        if (expected && !accepted.has(id)) accepted.set(id, expected);
        if (!firstSentAt.has(id)) firstSentAt.set(id, at);
      }
    };
    const seen = new Set<Delivery>();
    const sendStarted = Date.now();
    await pool(units, options.concurrency ?? 16, async (unit) => {
      if (unit.concurrent) {
        await Promise.all(unit.deliveries.map((d) => post(d, false)));
        return;
      }
      const d = unit.deliveries[0];
      if (!d) return;
      const retry = seen.has(d);
      seen.add(d);
      await post(d, retry);
    });
    const sendMs = Date.now() - sendStarted;
    log(`  sent ${sent} requests in ${(sendMs / 1000).toFixed(1)} s; waiting for the queue to drain…`);

    const sqs = createSqsClient();
    const settled = await waitUntilStable(
      async () => (await queueTotal(sqs, pipeline.resources.queueUrl)) === 0,
      {
        timeoutMs: options.settleTimeoutMs ?? 900_000,
        stableMs: 3000,
        intervalMs: 500,
      },
    );
    const settledAt = Date.now();
    const dead = await drainQueue(sqs, pipeline.resources.dlqUrl);
    const deadLetters: DeadLetter[] = dead.map((d) => ({
      dedupeKey: d.envelope?.dedupeKey ?? '',
      reason: d.attributes[FAILURE_ATTRIBUTES.failureClass] ?? MAX_RECEIVE_REASON,
    }));

    const effects = pipeline.cdp.effects();
    const reconciliation = reconcile({ accepted, effects, deadLetters });

    // End-to-end latency: first send of the event → first successful CDP answer for its last operation.
    const firstOk = new Map<string, number>();
    const cdpFaults: Record<string, number> = {};
    let replayed = 0;
    for (const r of pipeline.cdp.requests) {
      if (r.fault) cdpFaults[r.fault] = (cdpFaults[r.fault] ?? 0) + 1;
      if (r.replayed) replayed += 1;
      if (r.status >= 200 && r.status < 300 && r.idempotencyKey) {
        const key = logicalKeyOf(r.idempotencyKey);
        if (!firstOk.has(key)) firstOk.set(key, Date.parse(r.at));
      }
    }
    const e2e: number[] = [];
    let lastApplied = sendStarted;
    for (const [id, event] of accepted) {
      const t0 = firstSentAt.get(id);
      if (t0 === undefined || event.operationKeys.length === 0) continue;
      const times = event.operationKeys.map((k) => firstOk.get(k));
      if (times.some((t) => t === undefined)) continue;
      const done = Math.max(...(times as number[]));
      lastApplied = Math.max(lastApplied, done);
      e2e.push(done - t0);
    }
    const failuresByClass = Object.fromEntries(
      Object.entries(metrics.byClass)
        .filter(([k]) => k.startsWith('Failed/'))
        .map(([k, v]) => [k.slice('Failed/'.length), v]),
    );
    const report: ChaosReport = {
      settings: {
        count,
        seed,
        duplicateRate,
        concurrentDuplicateShare: concurrentShare,
        faults,
        crashRate: options.crashRate ?? 0.02,
        invocationCrashRate: options.invocationCrashRate ?? 0.01,
        backoff: options.backoff ?? { baseDelaySeconds: 2, maxDelaySeconds: 20 },
        processorTimeoutSeconds: PROCESSOR_TIMEOUT_SECONDS,
        maxReceiveCount: 5,
        batchSize: pipeline.definitions.eventSourceMapping.batchSize,
        maxConcurrency: pipeline.definitions.eventSourceMapping.maxConcurrency,
        sources: factory.sources.map((s) => s.id),
        dedupeDisabled: options.processorDeps !== undefined,
      },
      requests: {
        sent,
        accepted: acceptedRequests,
        rejected,
        providerRetries,
        duplicates,
        concurrentDuplicates,
      },
      reconciliation,
      cdp: {
        requests: pipeline.cdp.requests.length,
        faults: cdpFaults,
        replayed,
        effects: pipeline.cdp.effectCount(),
      },
      processor: {
        metrics: metrics.totals,
        failuresByClass,
        injectedCrashes: crashing?.crashes ?? 0,
        invocationCrashes,
      },
      throughput: {
        ingestRequestsPerSecond: Math.round((sent / Math.max(1, sendMs)) * 1000),
        endToEndEventsPerSecond: Math.round((e2e.length / Math.max(1, lastApplied - sendStarted)) * 1000),
      },
      latencyMs: {
        ingest: distribution(ingestTimes.map((t) => Math.round(t * 10) / 10)),
        endToEnd: distribution(e2e),
      },
      durationMs: { send: sendMs, total: settledAt - started },
      settled,
      ok: settled && reconciliation.ok,
    };
    return report;
  } finally {
    await pipeline.stop();
    rmSync(secretsPath, { force: true });
  }
}
