/**
 * The chaos run behind `npm run chaos` and its CI version: local mode with the real emulators, thousands of
 * signed webhooks across providers (about 20 % duplicates, half of them sent concurrently with the
 * original), CDP faults (5xx, 429, timeouts whose write still lands, 422) and injected processor crashes
 * at the worst moment; then a reconciliation (bench/lib/reconcile.ts), throughput and latency figures.
 *
 * With `adversary` (on for `npm run chaos`, issue 13) the run also hunts the breaches a kind proof misses:
 * events sharing CDP entities sent out of order with re-deliveries, CDP writes that land and time out more
 * often, crashes between the CDP write and the entity guard's commit, replays of captured deliveries with
 * new unsigned ids or topics, empty and rotated secrets and a Secrets Manager outage
 * (bench/lib/adversary.ts, bench/lib/secret-phases.ts). It reports stale overwrites, forged requests
 * accepted and replay effects beside lost and doubled.
 */
import { copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSBatchResponse } from 'aws-lambda';
import { MAX_RECEIVE_REASON } from '../../cli/dlq-message';
import { createIngestHandler, depsFromEnv } from '../../lambdas/ingest/handler';
import { createProcessor, type ProcessorDeps } from '../../lambdas/processor/processor';
import type { ProviderId } from '../../lambdas/providers/types';
import {
  createSecretsManagerClient,
  createSqsClient,
  INGEST_TIMEOUTS,
  lazyS3Client,
  SECRETS_MANAGER_TIMEOUTS,
} from '../../lambdas/shared/aws-clients';
import { FAILURE_ATTRIBUTES } from '../../lambdas/shared/envelope';
import { CachedSecretsManagerSource, type SecretSource } from '../../lambdas/shared/secrets';
import type { PipelineConfig, SourceDefinition } from '../../lib/config';
import { pipelineConfig } from '../../lib/pipeline-config';
import type { CdpFaults } from '../../local/cdp-stand-in';
import type { Emulators } from '../../local/emulators';
import { fixtureNames } from '../../local/fixtures';
import type { HttpApiHandler } from '../../local/http-gateway';
import {
  LOCAL_SECRET_IDS,
  readLocalSecrets,
  SECRETS_EXAMPLE_PATH,
  secretStringOf,
} from '../../local/local-secrets';
import { type LocalPipeline, startLocalPipeline } from '../../local/pipeline';
import { postDelivery } from '../../local/send-webhooks';
import { generateLocalSecret, SIGNERS } from '../../local/signers';
import {
  EMPTY_SECRET_FORMS,
  entityStream,
  linearDelivery,
  type ReplayMutation,
  replayMutations,
  STREAM_KINDS,
  type StreamKind,
  shuffle,
} from './adversary';
import { type CountingProxy, startCountingProxy } from './counting-proxy';
import { createDeliveryFactory, type Delivery, type ExpectedEvent } from './deliveries';
import { createRng } from './prng';
import { CrashInjector, MetricCounter, processorDepsFromEnv } from './processor';
import { drainQueue, pool, queueTotal, waitUntilStable } from './queues';
import { type DeadLetter, logicalKeyOf, type Reconciliation, reconcile } from './reconcile';
import {
  type Answer,
  type ForgedReport,
  forgedPhase,
  type OutageReport,
  outagePhase,
  type RotationReport,
  rotationPhase,
  SimClock,
} from './secret-phases';
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
  /** The adversarial generators and phases (issue 13). @default off; `npm run chaos` turns them on */
  readonly adversary?: AdversaryOptions;
  readonly log?: (line: string) => void;
}

export interface AdversaryOptions {
  /** Share of requests that belong to entity streams (several events per CDP entity). @default 0.3 */
  readonly streamShare?: number;
  /** Distinct events per entity. @default {min: 3, max: 7} */
  readonly eventsPerEntity?: { readonly min: number; readonly max: number };
  /** Share of requests that are replays of captured deliveries (originals included). @default 0.04 */
  readonly replayShare?: number;
  /** Forged requests per empty-secret source and form. @default 2 */
  readonly forgedPerSource?: number;
  /** Requests per step of the rotation and outage phases. @default 6 */
  readonly secretPhaseRequests?: number;
  /** An ingest answer slower than this during a Secrets Manager outage is counted. @default 1500 */
  readonly slowAnswerMs?: number;
  /** The ingest's secret cache TTL, which the phases move the cache clock past. @default 300000 */
  readonly secretCacheTtlMs?: number;
  /** CDP faults while the adversarial run sends and drains. @default ADVERSARIAL_CHAOS_FAULTS */
  readonly faults?: CdpFaults;
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

/** More CDP writes that land and then time out: the ambiguous outcome the entity guard must survive. */
export const ADVERSARIAL_CHAOS_FAULTS: CdpFaults = { ...DEFAULT_CHAOS_FAULTS, timeoutRate: 0.07 };

export interface AdversaryReport {
  readonly streams: {
    readonly entities: number;
    readonly events: number;
    readonly deliveries: number;
    readonly byKind: Record<string, number>;
  };
  readonly replays: {
    readonly originals: number;
    readonly sent: number;
    readonly accepted: number;
    /** Replays the ingest accepted under a dedupe key other than the original's. */
    readonly newKeys: number;
    readonly byMutation: Record<string, { sent: number; accepted: number; newKeys: number }>;
  };
  readonly forged: ForgedReport;
  readonly rotation: RotationReport;
  readonly outage: OutageReport;
}

/** The counters that must all be 0. */
export interface ChaosCounters {
  readonly lost: number;
  readonly doubled: number;
  readonly staleOverwrites: number;
  /** Requests signed with an empty, blank or rotated-out secret that got a 2xx. */
  readonly forgedAccepted: number;
  /** CDP effects caused by replays with new unsigned ids or topics. */
  readonly replayEffects: number;
  /** Slow answers or acceptance beyond the staleness bound during a Secrets Manager outage, no recovery. */
  readonly outageViolations: number;
  /** Validly signed requests refused during a rotation (availability). */
  readonly rotationRefusals: number;
}

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
  readonly counters: ChaosCounters;
  readonly adversary?: AdversaryReport;
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
    /** Injected crashes by point (`guard.commit`, `dedupe.recordApplied`, `dedupe.markCompleted`). */
    readonly crashesByPoint: Record<string, number>;
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
/** An entity-stream delivery this much later than the one before it is sent on its own timer. */
const STRAGGLER_MS = 2000;
/** Attempts per delivery: a provider retries a 5xx or a network error (the ingest answers 503 under overload). */
const SEND_ATTEMPTS = 4;

interface Unit {
  readonly deliveries: Delivery[];
  readonly concurrent: boolean;
  /** An entity stream: sent one after the other, each after its gap (ms), re-deliveries re-signed. */
  readonly gapsMs?: readonly number[];
  /**
   * A replay unit: the original (built when sent: Linear signs a timestamp into the body), then copies of
   * it with these unsigned headers changed (same bytes, same signature).
   */
  readonly replay?: {
    readonly original: () => Delivery;
    readonly mutations: readonly ReplayMutation[];
  };
}

/**
 * Sources the adversarial run uses: Linear (no committed fixture, replays only) is added to the
 * configuration; rotation, outage and the empty-secret forms borrow configured sources after the main
 * traffic (PIPELINE_SOURCES has a size budget, so no twin source per form) and restore their secrets.
 */
interface AdversarySources {
  readonly linear: SourceDefinition;
  readonly rotating: SourceDefinition;
  readonly outage: SourceDefinition;
  /** Sources the empty-secret forms are tried on: one per provider that local mode can sign. */
  readonly forged: readonly SourceDefinition[];
}

function adversarySources(base: readonly SourceDefinition[]): AdversarySources {
  const forged: SourceDefinition[] = [];
  for (const source of base) {
    const usable = SIGNERS[source.provider] && fixtureNames(source.provider).length > 0;
    if (usable && !forged.some((s) => s.provider === source.provider)) forged.push(source);
  }
  const byProvider = (provider: ProviderId) => {
    const found = base.find((s) => s.provider === provider);
    if (!found)
      throw new Error(`The adversarial chaos run needs a ${provider} source in lib/pipeline-config.ts`);
    return found;
  };
  return {
    linear: { id: 'chaos-linear', provider: 'linear' },
    rotating: byProvider('github'),
    outage: byProvider('stripe'),
    forged,
  };
}

/**
 * Builds with the handlers' logs off: the secret phases make the ingest log an error per forged or
 * unverifiable request, by design (the logger reads its level when it is created).
 */
function silently<T>(build: () => T): T {
  const previous = process.env.POWERTOOLS_LOG_LEVEL;
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  try {
    return build();
  } finally {
    if (previous === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = previous;
  }
}

/**
 * The ingest the adversarial run uses: the production handler and wiring (depsFromEnv), with the secret
 * cache on a clock the run can move forward (CachedSecretsManagerSource takes one) instead of waiting
 * real minutes for its TTL; the rest of its policy (staleness bound, retry interval) is production's.
 */
function ingestWithClock(clock: SimClock, ttlMs: number): HttpApiHandler {
  const secrets: SecretSource = new CachedSecretsManagerSource(
    createSecretsManagerClient(SECRETS_MANAGER_TIMEOUTS),
    { ttlMs, now: clock.now },
  );
  const handler = createIngestHandler(
    depsFromEnv(process.env, {
      sqs: createSqsClient(INGEST_TIMEOUTS),
      s3: lazyS3Client(INGEST_TIMEOUTS),
      secrets,
    }),
  );
  return handler as unknown as HttpApiHandler;
}

/** Runs the chaos scenario in this process (local mode must not already run here). */
export async function runChaos(options: ChaosOptions = {}): Promise<ChaosReport> {
  const count = options.count ?? 10_000;
  const seed = options.seed ?? 1;
  const log = options.log ?? (() => {});
  const rng = createRng(seed);
  const crashRng = createRng(seed + 1);
  const adversary = options.adversary;
  const advRng = createRng(seed + 2);
  const faults =
    options.faults ?? (adversary ? (adversary.faults ?? ADVERSARIAL_CHAOS_FAULTS) : DEFAULT_CHAOS_FAULTS);
  const secretsPath = join(tmpdir(), `chaos-secrets-${process.pid}-${Date.now()}.json`);
  copyFileSync(SECRETS_EXAMPLE_PATH, secretsPath);
  const metrics = new MetricCounter();
  const crashRate = options.crashRate ?? 0.02;
  const crashes = new CrashInjector(crashRate, crashRng);
  let invocationCrashes = 0;
  const ingestTimes: number[] = [];
  const started = Date.now();
  const extra = adversary ? adversarySources(pipelineConfig.sources) : undefined;
  const config: PipelineConfig = extra
    ? { ...pipelineConfig, sources: [...pipelineConfig.sources, extra.linear] }
    : pipelineConfig;
  const clock = new SimClock();
  const cacheTtlMs = adversary?.secretCacheTtlMs ?? 5 * 60_000;
  let secretsProxy: CountingProxy | undefined;
  let secretsEndpoint = '';

  const pipeline: LocalPipeline = await startLocalPipeline({
    port: 0,
    cdpPort: 0,
    secretsPath,
    quiet: true,
    log: () => {},
    pollWaitSeconds: 1,
    config,
    ...(options.emulators ? { emulators: options.emulators } : {}),
    // A short function timeout keeps leases (and so the wait behind a crashed or concurrent delivery) short.
    queue: { processorTimeoutSeconds: PROCESSOR_TIMEOUT_SECONDS, maxReceiveCount: 5 },
    // The Secrets Manager outage switch: the handlers reach the stand-in through a proxy that can hang.
    ...(adversary
      ? {
          secretsManagerFront: async (endpoint: string) => {
            secretsEndpoint = endpoint;
            secretsProxy = await startCountingProxy(endpoint);
            return secretsProxy.url;
          },
        }
      : {}),
    wrapHandlers: (real) => {
      const prod = processorDepsFromEnv(metrics);
      const base: ProcessorDeps = {
        ...prod,
        // Crashes right after a CDP write: before the bookkeeping that records it.
        dedupe: crashes.wrap(prod.dedupe, 'dedupe', ['recordApplied', 'markCompleted']),
        ...(adversary ? { guard: crashes.wrap(prod.guard, 'guard', ['commit']) } : {}),
        backoff: options.backoff ?? { baseDelaySeconds: 2, maxDelaySeconds: 20 },
      };
      const processor = createProcessor(options.processorDeps ? options.processorDeps(base) : base);
      const invocationCrashRate = options.invocationCrashRate ?? 0.01;
      const ingest = adversary ? silently(() => ingestWithClock(clock, cacheTtlMs)) : real.ingest;
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
      ...(extra ? { extraSources: [extra.linear] } : {}),
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
    const streamBudget = adversary ? Math.round(count * (adversary.streamShare ?? 0.3)) : 0;
    const replayBudget = adversary ? Math.round(count * (adversary.replayShare ?? 0.04)) : 0;
    const kindCount = count - streamBudget - replayBudget;
    while (planned < kindCount) {
      if (originals.length > 0 && rng.chance(duplicateRate)) {
        if (rng.chance(concurrentShare) && planned + 2 <= kindCount) {
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

    // Adversarial units: entity streams (shuffled, with re-deliveries) and replays of captured deliveries.
    const streamStats = { entities: 0, events: 0, deliveries: 0, byKind: {} as Record<string, number> };
    let replayOriginals = 0;
    if (adversary && extra) {
      const span = adversary.eventsPerEntity ?? { min: 3, max: 7 };
      const streamSources = new Map<StreamKind, SourceDefinition>();
      for (const kind of STREAM_KINDS) {
        const source = pipelineConfig.sources.find((s) => s.provider === kind);
        if (source) streamSources.set(kind, source);
      }
      const kinds = [...streamSources.keys()];
      // Events are stamped in the past (up to an hour ago), a few seconds apart, newest last.
      const runTag = `${seed}x${Date.now().toString(36)}`;
      let streamed = 0;
      while (kinds.length > 0 && streamed < streamBudget) {
        const kind = advRng.pick(kinds);
        const source = streamSources.get(kind);
        if (!source) break;
        const events = advRng.int(span.min, span.max);
        const deliveries = entityStream({
          factory,
          source,
          kind,
          rng: advRng,
          entity: `${runTag}e${streamStats.entities}`,
          events,
          duplicateRate,
          baseTimeMs: Math.floor((Date.now() - advRng.int(60, 3600) * 1000) / 1000) * 1000,
        });
        // 45 % of the deliveries follow at once (a burst), a quarter after up to 0.8 s, the rest straggle
        // in 2-12 s later: inside the retry window of an earlier delivery that failed or timed out.
        const gapsMs = deliveries.map(() => {
          const roll = advRng.next();
          if (roll < 0.45) return 0;
          if (roll < 0.7) return advRng.int(0, 800);
          return advRng.int(2000, 12_000);
        });
        units.push({ deliveries, concurrent: false, gapsMs });
        streamStats.entities += 1;
        streamStats.events += events;
        streamStats.deliveries += deliveries.length;
        streamStats.byKind[kind] = (streamStats.byKind[kind] ?? 0) + 1;
        streamed += deliveries.length;
        duplicates += deliveries.length - events;
      }
      const replaySources: SourceDefinition[] = [
        ...pipelineConfig.sources.filter((s) => ['shopify', 'github', 'twilio'].includes(s.provider)),
        extra.linear,
      ];
      let replayed = 0;
      while (replayed < replayBudget) {
        const source = advRng.pick(replaySources);
        const unitRng = createRng(advRng.int(1, 2 ** 31 - 1));
        const original = () =>
          source.provider === 'linear' ? linearDelivery(factory, source, unitRng) : factory.fresh(source.id);
        const mutations = replayMutations(source.provider, advRng);
        units.push({ deliveries: [], concurrent: false, replay: { original, mutations } });
        replayOriginals += 1;
        replayed += 1 + mutations.length;
      }
    }
    const plan = adversary ? shuffle(units, advRng) : units;

    const accepted = new Map<string, ExpectedEvent>();
    const firstSentAt = new Map<string, number>();
    const foreignKeys = new Map<string, string>();
    const unacknowledged = new Map<string, ExpectedEvent>();
    /**
     * A genuine delivery of the plan whose answers were all lost or 5xx: it may have been queued all the same.
     * Only the plan's own deliveries: a forged or rotated-out request of the secret phases that got a 5xx and
     * still had an effect stays an unattributed effect (a failure), never "genuine".
     */
    const noteUnacknowledged = (delivery: Delivery, status: number) => {
      if (status !== 0 && status < 500) return;
      for (const e of delivery.events) unacknowledged.set(e.dedupeKey, e);
    };
    const eventTags = new Map<string, string>();
    const rejected: Record<string, number> = {};
    let acceptedRequests = 0;
    let sent = 0;
    let providerRetries = 0;
    const register = (delivery: Delivery, text: string, at: number) => {
      let receipt: { eventIds?: string[] } = {};
      try {
        receipt = JSON.parse(text) as { eventIds?: string[] };
      } catch {
        receipt = {};
      }
      for (const id of receipt.eventIds ?? []) {
        const expected = delivery.events.find((e) => e.dedupeKey === id);
        if (expected && !accepted.has(id)) accepted.set(id, expected);
        if (!firstSentAt.has(id)) firstSentAt.set(id, at);
      }
      return receipt.eventIds ?? [];
    };
    const post = async (delivery: Delivery): Promise<string[] | undefined> => {
      let status = 0;
      let text = '';
      let at = Date.now();
      for (let attempt = 1; attempt <= SEND_ATTEMPTS; attempt++) {
        // Signed when sent, as a provider does: the plan is made up front and a long run (or a loaded
        // machine) must not age timestamped signatures out (Stripe allows 5 minutes). A re-delivery or a
        // retry after a 5xx is the same bytes with a new signature time.
        const toSend = factory.resign(delivery);
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
        noteUnacknowledged(delivery, status);
        return undefined;
      }
      acceptedRequests += 1;
      return register(delivery, text, at);
    };

    // An attacker's replay: the captured bytes and signature as they are; retried after a 5xx unchanged.
    const replayStats = {
      originals: replayOriginals,
      sent: 0,
      accepted: 0,
      newKeys: 0,
      byMutation: {} as Record<string, { sent: number; accepted: number; newKeys: number }>,
    };
    const replay = async (label: string, delivery: Delivery, originalIds: readonly string[]) => {
      const row = replayStats.byMutation[label] ?? { sent: 0, accepted: 0, newKeys: 0 };
      replayStats.byMutation[label] = row;
      let status = 0;
      let text = '';
      for (let attempt = 1; attempt <= SEND_ATTEMPTS; attempt++) {
        try {
          ({ status, body: text } = await postDelivery(delivery));
        } catch {
          status = 0;
        }
        if (status > 0 && status < 500) break;
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      }
      replayStats.sent += 1;
      row.sent += 1;
      if (status < 200 || status >= 300) return;
      replayStats.accepted += 1;
      row.accepted += 1;
      let ids: string[] = [];
      try {
        ids = (JSON.parse(text) as { eventIds?: string[] }).eventIds ?? [];
      } catch {
        ids = [];
      }
      const fresh = ids.filter((id) => !originalIds.includes(id));
      if (fresh.length === 0) return;
      replayStats.newKeys += 1;
      row.newKeys += 1;
      // The oracle computes the keys the way the ingest does; whatever they cause in the CDP is a replay effect.
      for (const e of delivery.events) {
        if (!fresh.includes(e.dedupeKey)) continue;
        for (const k of e.operationKeys) foreignKeys.set(k, 'replay');
      }
    };

    const stragglers: Promise<void>[] = [];
    const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
    const sendStarted = Date.now();
    await pool(plan, options.concurrency ?? 16, async (unit) => {
      if (unit.concurrent) {
        await Promise.all(unit.deliveries.map((d) => post(d)));
        return;
      }
      if (unit.gapsMs) {
        for (const [i, d] of unit.deliveries.entries()) {
          const gap = unit.gapsMs[i] ?? 0;
          // Stragglers are sent later without holding a slot of the pool.
          if (gap >= STRAGGLER_MS) stragglers.push(sleep(gap).then(() => post(d).then(() => {})));
          else {
            if (gap > 0) await sleep(gap);
            await post(d);
          }
        }
        return;
      }
      if (unit.replay) {
        const original = unit.replay.original();
        const ids = await post(original);
        if (!ids) return;
        for (const id of ids) eventTags.set(id, 'replay original');
        for (const m of unit.replay.mutations)
          await replay(m.label, factory.replay(original, m.headers), ids);
        return;
      }
      const d = unit.deliveries[0];
      if (!d) return;
      await post(d);
    });
    await Promise.all(stragglers);
    const sendMs = Date.now() - sendStarted;
    log(`  sent ${sent} requests in ${(sendMs / 1000).toFixed(1)} s`);

    // Secret phases, after the main traffic (the clock jumps and the outage would slow it down).
    let secretReports: Pick<AdversaryReport, 'forged' | 'rotation' | 'outage'> | undefined;
    if (adversary && extra) {
      log('  secret phases: empty secrets, rotation, Secrets Manager outage…');
      const sm = new SecretsManagerClient({ endpoint: secretsEndpoint });
      const proxy = secretsProxy;
      const onceAnswer = async (delivery: Delivery): Promise<Answer> => {
        const t0 = performance.now();
        try {
          const { status, body } = await postDelivery(delivery);
          return { status, body, ms: performance.now() - t0 };
        } catch {
          return { status: 0, body: '', ms: performance.now() - t0 };
        }
      };
      const ctx = {
        factory,
        clock,
        pastTtlMs: cacheTtlMs + 60_000,
        putSecret: async (sourceId: string, secretString: string) => {
          await sm.send(
            new PutSecretValueCommand({
              SecretId: LOCAL_SECRET_IDS.source(sourceId),
              SecretString: secretString,
            }),
          );
        },
        setOutage: (fault: 'none' | 'blackhole' | 'reset') => proxy?.setFault(fault),
        post: onceAnswer,
        accepted: (delivery: Delivery, answer: Answer) => {
          register(delivery, answer.body, Date.now());
        },
        foreign: (delivery: Delivery, kind: string) => {
          for (const e of delivery.events) for (const k of e.operationKeys) foreignKeys.set(k, kind);
        },
        fresh: (source: SourceDefinition, signingKey: string) => factory.freshFor(source, signingKey),
        sleep,
      };
      const perStep = adversary.secretPhaseRequests ?? 6;
      const restore = new Map<string, string>();
      for (const source of pipelineConfig.sources) {
        const entry = file.sources[source.id];
        if (entry) restore.set(source.id, secretStringOf(entry));
      }
      const forged = await forgedPhase(
        ctx,
        extra.forged,
        EMPTY_SECRET_FORMS,
        adversary.forgedPerSource ?? 2,
        restore,
      );
      const keysFor = (provider: ProviderId) => ({
        current: generateLocalSecret(provider).secret,
        old: generateLocalSecret(provider).secret,
      });
      const rotation = await rotationPhase(ctx, extra.rotating, keysFor(extra.rotating.provider), perStep);
      const outage = await outagePhase(ctx, extra.outage, keysFor(extra.outage.provider), {
        requests: perStep,
        slowAnswerMs: adversary.slowAnswerMs ?? 1500,
      });
      for (const source of [extra.rotating, extra.outage]) {
        const value = restore.get(source.id);
        if (value !== undefined) await ctx.putSecret(source.id, value);
      }
      secretReports = { forged, rotation, outage };
      sm.destroy();
    }
    log('  waiting for the queue to drain…');

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
    // Forged, rotated-out and replayed requests are judged as foreign, never as genuine unacknowledged ones.
    for (const [key, event] of unacknowledged) {
      if (event.operationKeys.some((k) => foreignKeys.has(k))) unacknowledged.delete(key);
    }
    const reconciliation = reconcile({
      accepted,
      unacknowledged,
      effects,
      deadLetters,
      foreignKeys,
      eventTags,
      finalRecord: (object, matchValue) => pipeline.cdp.record(object, matchValue),
    });
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
    const adversaryReport: AdversaryReport | undefined = secretReports
      ? { streams: streamStats, replays: replayStats, ...secretReports }
      : undefined;
    const counters: ChaosCounters = {
      lost: reconciliation.lost,
      doubled: reconciliation.doubleEffectEvents,
      staleOverwrites: reconciliation.staleOverwrites,
      forgedAccepted:
        (secretReports?.forged.accepted ?? 0) +
        (secretReports?.rotation.rotatedOutAccepted ?? 0) +
        (secretReports?.outage.rotatedOutAcceptedAfter ?? 0),
      replayEffects: reconciliation.foreignEffects.replay ?? 0,
      outageViolations: secretReports
        ? secretReports.outage.slowAnswers +
          secretReports.outage.acceptedBeyondBound +
          (secretReports.outage.recovered ? 0 : 1)
        : 0,
      rotationRefusals: secretReports
        ? secretReports.rotation.refusedDuringRotation + secretReports.rotation.currentRefused
        : 0,
    };
    const report: ChaosReport = {
      settings: {
        count,
        seed,
        duplicateRate,
        concurrentDuplicateShare: concurrentShare,
        faults,
        crashRate,
        invocationCrashRate: options.invocationCrashRate ?? 0.01,
        backoff: options.backoff ?? { baseDelaySeconds: 2, maxDelaySeconds: 20 },
        processorTimeoutSeconds: PROCESSOR_TIMEOUT_SECONDS,
        maxReceiveCount: 5,
        batchSize: pipeline.definitions.eventSourceMapping.batchSize,
        maxConcurrency: pipeline.definitions.eventSourceMapping.maxConcurrency,
        sources: factory.sources.map((s) => s.id),
        dedupeDisabled: options.processorDeps !== undefined,
        adversary: adversary
          ? {
              streamShare: adversary.streamShare ?? 0.3,
              eventsPerEntity: adversary.eventsPerEntity ?? { min: 3, max: 7 },
              replayShare: adversary.replayShare ?? 0.04,
              forgedPerSource: adversary.forgedPerSource ?? 2,
              secretPhaseRequests: adversary.secretPhaseRequests ?? 6,
              slowAnswerMs: adversary.slowAnswerMs ?? 1500,
              secretCacheTtlMs: cacheTtlMs,
              crashPoints: ['guard.commit', 'dedupe.recordApplied', 'dedupe.markCompleted'],
              emptySecretForms: EMPTY_SECRET_FORMS.map((f) => f.label),
              forgedSources: extra?.forged.map((s) => s.id) ?? [],
            }
          : false,
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
      counters,
      ...(adversaryReport ? { adversary: adversaryReport } : {}),
      cdp: {
        requests: pipeline.cdp.requests.length,
        faults: cdpFaults,
        replayed,
        effects: pipeline.cdp.effectCount(),
      },
      processor: {
        metrics: metrics.totals,
        failuresByClass,
        injectedCrashes: crashes.crashes,
        crashesByPoint: { ...crashes.byPoint },
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
      ok: settled && reconciliation.ok && Object.values(counters).every((n) => n === 0),
    };
    return report;
  } finally {
    await pipeline.stop();
    await secretsProxy?.stop();
    rmSync(secretsPath, { force: true });
  }
}
