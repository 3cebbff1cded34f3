/**
 * The reconciliation of a chaos or drill run: every accepted event must be applied exactly once in the CDP
 * (each of its operations' Idempotency-Keys with exactly one effect) or sit in the DLQ with a reason.
 * Pure: the inputs are what the run observed.
 */
import type { ExpectedEvent } from './deliveries';

/**
 * The operation an Idempotency-Key on the wire belongs to. Real keys (`whk_<base64url>`) never contain
 * `~`; a client under test that tags each attempt (`<key>~<attempt>`) is attributed to the same operation.
 */
export function logicalKeyOf(wireKey: string): string {
  const cut = wireKey.indexOf('~');
  return cut === -1 ? wireKey : wireKey.slice(0, cut);
}

export interface DeadLetter {
  readonly dedupeKey: string;
  readonly reason: string;
}

export interface ReconcileInput {
  /** Every event accepted at ingest (2xx receipts), by dedupe key. */
  readonly accepted: ReadonlyMap<string, ExpectedEvent>;
  /** Effects per Idempotency-Key as the CDP counted them. */
  readonly effects: ReadonlyMap<string, number>;
  readonly deadLetters: readonly DeadLetter[];
}

export interface Reconciliation {
  readonly acceptedEvents: number;
  /** Every operation applied exactly once. */
  readonly appliedOnce: number;
  /** Unmapped event types: acknowledged, nothing to apply. */
  readonly acknowledgedNoop: number;
  readonly deadLettered: number;
  readonly deadLetteredByReason: Record<string, number>;
  /** DLQ messages without a reason. */
  readonly deadLetteredWithoutReason: number;
  /** Events with an operation applied more than once. */
  readonly doubleEffectEvents: number;
  /** Effects beyond the first, summed over operations. */
  readonly extraEffects: number;
  /** Accepted, not fully applied, not in the DLQ. */
  readonly lost: number;
  readonly lostSamples: readonly string[];
  readonly doubleSamples: readonly string[];
  /** Effects whose key belongs to no accepted event. */
  readonly unattributedEffects: number;
  readonly ok: boolean;
}

export function reconcile(input: ReconcileInput): Reconciliation {
  const perOperation = new Map<string, number>();
  for (const [wireKey, n] of input.effects) {
    const key = logicalKeyOf(wireKey);
    perOperation.set(key, (perOperation.get(key) ?? 0) + n);
  }
  const dead = new Map<string, string>();
  for (const d of input.deadLetters) dead.set(d.dedupeKey, d.reason);
  const known = new Set<string>();
  let appliedOnce = 0;
  let noop = 0;
  let deadLettered = 0;
  let withoutReason = 0;
  let doubles = 0;
  let extra = 0;
  const lost: string[] = [];
  const doubleSamples: string[] = [];
  const byReason: Record<string, number> = {};
  for (const [dedupeKey, event] of input.accepted) {
    const counts = event.operationKeys.map((k) => {
      known.add(k);
      return perOperation.get(k) ?? 0;
    });
    const over = counts.reduce((sum, n) => sum + Math.max(0, n - 1), 0);
    if (over > 0) {
      doubles += 1;
      extra += over;
      if (doubleSamples.length < 10) doubleSamples.push(dedupeKey);
      continue;
    }
    const reason = dead.get(dedupeKey);
    if (reason !== undefined) {
      deadLettered += 1;
      if (reason === '') withoutReason += 1;
      byReason[reason || '(none)'] = (byReason[reason || '(none)'] ?? 0) + 1;
      continue;
    }
    if (event.operationKeys.length === 0 && !event.mappingFails) {
      noop += 1;
      continue;
    }
    if (event.operationKeys.length > 0 && counts.every((n) => n === 1)) {
      appliedOnce += 1;
      continue;
    }
    lost.push(dedupeKey);
  }
  let unattributed = 0;
  for (const [key, n] of perOperation) if (!known.has(key)) unattributed += n;
  return {
    acceptedEvents: input.accepted.size,
    appliedOnce,
    acknowledgedNoop: noop,
    deadLettered,
    deadLetteredByReason: byReason,
    deadLetteredWithoutReason: withoutReason,
    doubleEffectEvents: doubles,
    extraEffects: extra,
    lost: lost.length,
    lostSamples: lost.slice(0, 10),
    doubleSamples,
    unattributedEffects: unattributed,
    ok: doubles === 0 && lost.length === 0 && withoutReason === 0 && unattributed === 0,
  };
}
