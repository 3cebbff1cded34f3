/**
 * CI version of `npm run chaos`: a few hundred signed webhooks through local mode (real ingest and processor
 * code on the emulators) with duplicates, CDP faults and injected crashes must end with every accepted event
 * applied exactly once or dead-lettered with a reason.
 *
 * Then the deliberately broken build: dedupe disabled (a dedupe store that claims every delivery as new) and
 * a CDP client that sends a fresh Idempotency-Key on every attempt, both injected through the interfaces the
 * processor already takes. The same reconciliation must report double effects. Both runs share one file so
 * they run one after the other on the same emulators (local mode's resource names are fixed).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { runChaos } from '../../../bench/lib/chaos-runner';
import { emulatorsFromEnv } from '../../../bench/lib/cli';
import type { CdpCallOptions, CdpRecord, CdpResult, CdpWriter } from '../../../lambdas/cdp/client';
import type { Claim, ClaimInput, ClaimResult, DedupeStore } from '../../../lambdas/dedupe/dedupe-store';
import { useEmulators } from '../../support/emulators';

useEmulators();

/** Forgets everything: every delivery is a first delivery. */
class NoDedupe implements DedupeStore {
  async claim(input: ClaimInput): Promise<ClaimResult> {
    const claim: Claim = {
      dedupeKey: input.dedupeKey,
      leaseExpiresAtMs: input.nowMs + input.leaseMs,
      appliedOperations: [],
      attempts: 1,
      tookOver: false,
    };
    return { outcome: 'claimed', claim };
  }
  async recordApplied(): Promise<void> {}
  async markCompleted(): Promise<void> {}
  async release(): Promise<void> {}
  async get(): Promise<undefined> {
    return undefined;
  }
}

/** A naive client: a new key per attempt (tagged `<key>~<uuid>` so effects stay attributable). */
class KeyPerAttempt implements CdpWriter {
  constructor(private readonly inner: CdpWriter) {}
  private tagged(options: CdpCallOptions): CdpCallOptions {
    return { ...options, idempotencyKey: `${options.idempotencyKey}~${randomUUID()}` };
  }
  upsert(object: string, record: CdpRecord, matchKey: string, options: CdpCallOptions): Promise<CdpResult> {
    return this.inner.upsert(object, record, matchKey, this.tagged(options));
  }
  append(object: string, record: CdpRecord, options: CdpCallOptions): Promise<CdpResult> {
    return this.inner.append(object, record, this.tagged(options));
  }
}

/** The emulators the test runner (or useEmulators) started: no second DynamoDB Local per run. */
function shared() {
  const emulators = emulatorsFromEnv();
  return emulators ? { emulators } : {};
}

describe('chaos: exactly-once under faults and crashes', () => {
  it('loses nothing and applies nothing twice', { timeout: 240_000 }, async () => {
    const report = await runChaos({
      count: 200,
      seed: 11,
      crashRate: 0.05,
      // Whole-invocation crashes only come back after the visibility timeout (60 s here): left to `npm run chaos`.
      invocationCrashRate: 0,
      settleTimeoutMs: 180_000,
      ...shared(),
    });
    const r = report.reconciliation;
    assert.equal(report.settled, true, 'the queue drained');
    assert.equal(r.lost, 0, `lost: ${r.lostSamples.join(', ')}`);
    assert.equal(r.doubleEffectEvents, 0, `double effects: ${r.doubleSamples.join(', ')}`);
    assert.equal(r.unattributedEffects, 0);
    assert.equal(r.appliedOnce + r.acknowledgedNoop + r.deadLettered, r.acceptedEvents);
    assert.ok(r.acceptedEvents > 100);
    // The faults really happened.
    assert.ok(report.requests.duplicates > 0);
    assert.ok(report.processor.injectedCrashes > 0, 'crashes were injected');
    assert.ok(Object.keys(report.cdp.faults).length > 0, 'CDP faults were injected');
    assert.equal(report.ok, true);
  });

  it('reports double effects when dedupe and idempotency keys are broken', { timeout: 180_000 }, async () => {
    const report = await runChaos({
      count: 80,
      seed: 12,
      duplicateRate: 0.4,
      faults: {},
      crashRate: 0,
      invocationCrashRate: 0,
      settleTimeoutMs: 120_000,
      ...shared(),
      processorDeps: (deps) => ({ ...deps, dedupe: new NoDedupe(), cdp: new KeyPerAttempt(deps.cdp) }),
    });
    assert.equal(report.settled, true);
    assert.ok(report.reconciliation.doubleEffectEvents > 0, 'double effects are reported');
    assert.equal(report.ok, false);
  });

  it('runs the adversarial generators and judges what they produce', { timeout: 300_000 }, async () => {
    // Structural only: the counters (stale overwrites, forged accepted, replay effects, outage) are what
    // `npm run chaos` reports and must reach 0 with the issue-13 fixes; this keeps the machinery honest.
    const report = await runChaos({
      count: 150,
      seed: 13,
      invocationCrashRate: 0,
      settleTimeoutMs: 200_000,
      adversary: { forgedPerSource: 1, secretPhaseRequests: 2 },
      ...shared(),
    });
    const r = report.reconciliation;
    const a = report.adversary;
    assert.ok(a, 'the adversarial report is there');
    assert.equal(report.settled, true, 'the queue drained');
    assert.ok(a.streams.entities > 0 && r.sharedEntities > 0, 'events shared CDP entities');
    assert.ok(a.replays.sent > 0, 'captured deliveries were replayed');
    assert.ok(a.forged.sent > 0, 'requests signed with empty secrets were sent');
    assert.ok(a.outage.requestsWithinBound > 0 && a.outage.recovered, 'the outage phase ran and ended');
    // Every accepted event is accounted for exactly once.
    assert.equal(
      r.appliedOnce +
        r.supersededEvents +
        r.acknowledgedNoop +
        r.deadLettered +
        r.doubleEffectEvents +
        r.lost,
      r.acceptedEvents,
    );
    assert.equal(report.counters.lost, r.lost);
    assert.equal(report.counters.staleOverwrites, r.staleOverwrites);
  });
});
