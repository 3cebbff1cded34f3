/**
 * The secret phases of the adversarial chaos run, against the real ingest on the Secrets Manager stand-in:
 * - empty secrets: sources whose SecretString is empty or blank in each form a templated
 *   `put-secret-value` can produce, receiving requests signed with that empty or blank key. Any 2xx is a
 *   **forged request accepted** (promise 1); the design answers 503 `source_misconfigured`.
 * - rotation: `{"secrets":["new","old"]}` accepts both; once "old" is dropped, "old" must be refused after
 *   the cache TTL.
 * - outage: the Secrets Manager endpoint hangs (a blackhole in front of the stand-in). Within a bounded
 *   staleness the ingest must answer fast from the last known values (an answer slower than
 *   `slowAnswerMs` is counted); far beyond any bound (a day later) nothing may be accepted on those values,
 *   and after the outage the ingest must recover and refuse a secret rotated out meanwhile.
 * Cache time is the ingest's own clock (`SimClock`), advanced here instead of waiting real minutes.
 */
import type { SourceDefinition } from '../../lib/config';
import type { ProxyFault } from './counting-proxy';
import type { Delivery, DeliveryFactory } from './deliveries';

/** The clock the ingest's secret cache runs on: real time plus an offset the run advances. */
export class SimClock {
  private offsetMs = 0;
  readonly now = (): number => Date.now() + this.offsetMs;
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  get advancedMs(): number {
    return this.offsetMs;
  }
}

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
}

export interface SecretPhaseContext {
  readonly factory: DeliveryFactory;
  readonly clock: SimClock;
  /** How far to move the cache clock to be sure a cached value is refreshed (past the cache TTL). */
  readonly pastTtlMs: number;
  /** Sets a secret's value on the stand-in itself (not through the outage switch). */
  putSecret(sourceId: string, secretString: string): Promise<void>;
  setOutage(fault: ProxyFault): void;
  /** One POST, no retries (an attacker's or a provider's single attempt). */
  post(delivery: Delivery): Promise<Answer>;
  /** A validly signed delivery the pipeline accepted: it joins the reconciliation. */
  accepted(delivery: Delivery, answer: Answer): void;
  /** A delivery that must have no effect was accepted: its effects are counted under `kind`. */
  foreign(delivery: Delivery, kind: string): void;
  /** A fresh delivery for a source, signed with `signingKey`. */
  fresh(source: SourceDefinition, signingKey: string): Delivery;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface EmptySecretForm {
  readonly label: string;
  /** The SecretString stored. */
  readonly secretString: string;
  /** What an attacker signs with. */
  readonly signingKey: string;
}

export interface ForgedReport {
  readonly sent: number;
  /** 2xx answers to requests signed with an empty or blank key (violation). */
  readonly accepted: number;
  /** Per secret form: sent / accepted and the answers. */
  readonly byForm: Record<string, { sent: number; accepted: number; statuses: Record<string, number> }>;
  /** Sources a form could not even sign for (public-key schemes): nothing sent. */
  readonly unsignable: number;
}

function is2xx(status: number): boolean {
  return status >= 200 && status < 300;
}

/**
 * Per form: every source's secret becomes that empty or blank value (a templated `put-secret-value` gone
 * wrong), the cache turns, and each source gets requests signed with the empty or blank key. The real
 * secrets (`restore`) are put back afterwards. Counts what got in.
 */
export async function forgedPhase(
  ctx: SecretPhaseContext,
  sources: readonly SourceDefinition[],
  forms: readonly EmptySecretForm[],
  perSource: number,
  restore: ReadonlyMap<string, string>,
): Promise<ForgedReport> {
  const byForm: ForgedReport['byForm'] = {};
  let sent = 0;
  let accepted = 0;
  let unsignable = 0;
  try {
    for (const form of forms) {
      const row = byForm[form.label] ?? { sent: 0, accepted: 0, statuses: {} };
      byForm[form.label] = row;
      for (const source of sources) await ctx.putSecret(source.id, form.secretString);
      ctx.clock.advance(ctx.pastTtlMs);
      const signable = new Set(sources);
      for (let pass = 0; pass < perSource; pass++) {
        for (const source of sources) {
          if (!signable.has(source)) continue;
          let delivery: Delivery;
          try {
            delivery = ctx.fresh(source, form.signingKey);
          } catch {
            signable.delete(source);
            unsignable += 1;
            continue;
          }
          const answer = await ctx.post(delivery);
          sent += 1;
          row.sent += 1;
          const reason = reasonOf(answer.body);
          const label = `${answer.status}${reason ? ` ${reason}` : ''}`;
          row.statuses[label] = (row.statuses[label] ?? 0) + 1;
          if (is2xx(answer.status)) {
            accepted += 1;
            row.accepted += 1;
            ctx.foreign(delivery, 'forged');
          }
        }
        // A cache may refresh in the background: later passes see the new value for sure.
        if (pass === 0) await ctx.sleep(300);
      }
    }
  } finally {
    for (const source of sources) {
      const value = restore.get(source.id);
      if (value !== undefined) await ctx.putSecret(source.id, value);
    }
    ctx.clock.advance(ctx.pastTtlMs);
  }
  return { sent, accepted, byForm, unsignable };
}

function reasonOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { reason?: unknown; error?: unknown; code?: unknown };
    const value = parsed.reason ?? parsed.code ?? parsed.error;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

export interface RotationReport {
  /** Requests signed with either active secret during the rotation that were refused (availability). */
  readonly refusedDuringRotation: number;
  /** Requests signed with the dropped secret accepted after the cache TTL (violation). */
  readonly rotatedOutAccepted: number;
  /** Requests signed with the remaining secret refused after the drop (availability). */
  readonly currentRefused: number;
}

/** Rotation: both secrets accepted, then the old one dropped and refused once the cache has turned. */
export async function rotationPhase(
  ctx: SecretPhaseContext,
  source: SourceDefinition,
  keys: { readonly current: string; readonly old: string },
  perStep: number,
): Promise<RotationReport> {
  let refusedDuringRotation = 0;
  let rotatedOutAccepted = 0;
  let currentRefused = 0;
  await ctx.putSecret(source.id, JSON.stringify({ secrets: [keys.current, keys.old] }));
  ctx.clock.advance(ctx.pastTtlMs);
  for (let i = 0; i < perStep; i++) {
    for (const key of [keys.current, keys.old]) {
      const d = ctx.fresh(source, key);
      const answer = await ctx.post(d);
      if (is2xx(answer.status)) ctx.accepted(d, answer);
      else refusedDuringRotation += 1;
    }
  }
  await ctx.putSecret(source.id, JSON.stringify({ secrets: [keys.current] }));
  ctx.clock.advance(ctx.pastTtlMs);
  // A cache may refresh in the background: one request with the current key, a moment, then the checks.
  await warmUp(ctx, source, keys.current);
  for (let i = 0; i < perStep; i++) {
    const stale = ctx.fresh(source, keys.old);
    const staleAnswer = await ctx.post(stale);
    if (is2xx(staleAnswer.status)) {
      rotatedOutAccepted += 1;
      ctx.foreign(stale, 'rotated-out secret');
    }
    const d = ctx.fresh(source, keys.current);
    const answer = await ctx.post(d);
    if (is2xx(answer.status)) ctx.accepted(d, answer);
    else currentRefused += 1;
  }
  return { refusedDuringRotation, rotatedOutAccepted, currentRefused };
}

async function warmUp(ctx: SecretPhaseContext, source: SourceDefinition, key: string): Promise<void> {
  const d = ctx.fresh(source, key);
  const answer = await ctx.post(d);
  if (is2xx(answer.status)) ctx.accepted(d, answer);
  await ctx.sleep(500);
}

export interface OutageReport {
  /** Requests during the outage, within any sensible staleness bound. */
  readonly requestsWithinBound: number;
  /** Of those, answers slower than `slowAnswerMs` (violation: every request pays the SDK's retries). */
  readonly slowAnswers: number;
  readonly slowestMs: number;
  readonly statusesWithinBound: Record<string, number>;
  /** Requests accepted a day into the outage, on values that old (violation). */
  readonly acceptedBeyondBound: number;
  readonly requestsBeyondBound: number;
  /** The ingest accepted the current secret again after the outage. */
  readonly recovered: boolean;
  /** The secret rotated out during the outage, accepted after it (violation). */
  readonly rotatedOutAcceptedAfter: number;
}

/** How far "beyond any bound" is: a day of outage. */
export const BEYOND_BOUND_MS = 24 * 3600 * 1000;

/**
 * Outage: the source's cache holds `[current, old]`; "old" is dropped, then Secrets Manager hangs before
 * the cache refreshes.
 */
export async function outagePhase(
  ctx: SecretPhaseContext,
  source: SourceDefinition,
  keys: { readonly current: string; readonly old: string },
  options: { readonly requests: number; readonly slowAnswerMs: number },
): Promise<OutageReport> {
  await ctx.putSecret(source.id, JSON.stringify({ secrets: [keys.current, keys.old] }));
  ctx.clock.advance(ctx.pastTtlMs);
  await warmUp(ctx, source, keys.current);
  await ctx.putSecret(source.id, JSON.stringify({ secrets: [keys.current] }));
  ctx.setOutage('blackhole');
  const statusesWithinBound: Record<string, number> = {};
  let slowAnswers = 0;
  let slowestMs = 0;
  let acceptedBeyondBound = 0;
  let recovered = false;
  let rotatedOutAcceptedAfter = 0;
  try {
    // Just past the TTL: the refresh fails; the last known values are young enough to serve.
    ctx.clock.advance(ctx.pastTtlMs);
    const within = await Promise.all(
      Array.from({ length: options.requests }, async () => {
        const d = ctx.fresh(source, keys.current);
        const answer = await ctx.post(d);
        if (is2xx(answer.status)) ctx.accepted(d, answer);
        return answer;
      }),
    );
    for (const a of within) {
      statusesWithinBound[a.status] = (statusesWithinBound[a.status] ?? 0) + 1;
      if (a.ms > options.slowAnswerMs) slowAnswers += 1;
      slowestMs = Math.max(slowestMs, Math.round(a.ms));
    }
    // A day later, still down: values that old must no longer verify anything.
    ctx.clock.advance(BEYOND_BOUND_MS);
    const beyond = await Promise.all(
      Array.from({ length: options.requests }, async (_, i) => {
        const d = ctx.fresh(source, i % 2 === 0 ? keys.current : keys.old);
        const answer = await ctx.post(d);
        if (is2xx(answer.status)) ctx.foreign(d, 'secret beyond staleness');
        return answer;
      }),
    );
    acceptedBeyondBound = beyond.filter((a) => is2xx(a.status)).length;
  } finally {
    ctx.setOutage('none');
  }
  // Back up: the current secret must work again soon (a background retry at a bounded rate, on the cache's
  // clock or on real time, may take a while): up to a minute of real time, 20 minutes of cache time.
  for (let attempt = 0; attempt < 40 && !recovered; attempt++) {
    ctx.clock.advance(30_000);
    const d = ctx.fresh(source, keys.current);
    const answer = await ctx.post(d);
    if (is2xx(answer.status)) {
      ctx.accepted(d, answer);
      recovered = true;
    } else {
      await ctx.sleep(1500);
    }
  }
  for (let i = 0; i < options.requests; i++) {
    const d = ctx.fresh(source, keys.old);
    const answer = await ctx.post(d);
    if (is2xx(answer.status)) {
      rotatedOutAcceptedAfter += 1;
      ctx.foreign(d, 'rotated-out secret');
    }
  }
  return {
    requestsWithinBound: options.requests,
    slowAnswers,
    slowestMs,
    statusesWithinBound,
    acceptedBeyondBound,
    requestsBeyondBound: options.requests,
    recovered,
    rotatedOutAcceptedAfter,
  };
}
