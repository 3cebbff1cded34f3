/**
 * The reconciliation of a chaos or drill run: every accepted event must be applied exactly once in the CDP
 * (each of its operations' Idempotency-Keys with exactly one effect) or sit in the DLQ with a reason. An
 * ordered upsert may instead be skipped when a newer event of the same CDP entity was applied (or waits in
 * the DLQ): the out-of-order guard's job. And per entity written by several events, the final CDP state
 * must be the state of the newest event applied to it: anything else is a **stale overwrite** (an older
 * update landed after a newer one). Effects caused by requests that should never have had one (replays of
 * captured deliveries with new unsigned ids, forged requests) are counted by kind, apart from strays.
 * Pure: the inputs are what the run observed.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ExpectedEvent, ExpectedUpsert } from './deliveries';

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
  /** The CDP's final upserted record of an entity (for the stale-overwrite check). */
  readonly finalRecord?: (
    object: string,
    matchValue: string,
  ) => Readonly<Record<string, unknown>> | undefined;
  /**
   * Operation keys of events that must have no effect (a replay under a new id, a forged request), with
   * the kind of request they came from; their effects are counted per kind instead of as strays.
   */
  readonly foreignKeys?: ReadonlyMap<string, string>;
  /** Labels of some accepted events (e.g. `replay original`), to say where lost events came from. */
  readonly eventTags?: ReadonlyMap<string, string>;
  /**
   * Genuine events whose every answer was lost (timeout, reset) or a 5xx, by dedupe key: the ingest may have
   * queued them before the answer went missing, exactly as a provider's timed-out delivery may have landed.
   * They may or may not be applied; when applied, they must be applied once, and they are real, newer state
   * that an older accepted update may rightly be skipped for. Without them the check would call that older
   * update lost and the entity's final state a stale overwrite.
   */
  readonly unacknowledged?: ReadonlyMap<string, ExpectedEvent>;
}

export interface Reconciliation {
  readonly acceptedEvents: number;
  /** Genuine events never acknowledged with a 2xx (see {@link ReconcileInput.unacknowledged}). */
  readonly unacknowledgedEvents: number;
  /** Of those, the ones the CDP shows applied: the ingest had queued them before the answer was lost. */
  readonly unacknowledgedApplied: number;
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
  /** Lost events by the tag given in `eventTags` (untagged ones under `other`). */
  readonly lostByTag: Record<string, number>;
  readonly doubleSamples: readonly string[];
  /** Events whose ordered upsert was skipped because a newer event of the entity was applied. */
  readonly supersededEvents: number;
  /** CDP entities written by more than one accepted event (the ones the stale check judges). */
  readonly sharedEntities: number;
  /** Entities whose final CDP state is not the state of the newest event applied to them. */
  readonly staleOverwrites: number;
  readonly staleSamples: readonly string[];
  /** Effects of foreign requests (see `foreignKeys`), by kind. */
  readonly foreignEffects: Record<string, number>;
  /** Effects whose key belongs to no accepted event and no foreign request. */
  readonly unattributedEffects: number;
  readonly ok: boolean;
}

interface EntityWrite extends ExpectedUpsert {
  readonly dedupeKey: string;
}

/** `object` + match value: the CDP's own identity of an upserted record. */
function entityId(object: string, matchValue: string): string {
  return `${object}/${matchValue}`;
}

/**
 * Entities whose final state is not their newest applied event's: per entity written by at least two
 * events, the applied upsert with the newest event time must match the final record on every field it
 * writes. (An entity written once cannot be overwritten by an older event.)
 */
export function staleOverwrites(
  writes: ReadonlyMap<string, readonly EntityWrite[]>,
  applied: (operationKey: string) => boolean,
  finalRecord: (object: string, matchValue: string) => Readonly<Record<string, unknown>> | undefined,
): { shared: number; stale: string[] } {
  let shared = 0;
  const stale: string[] = [];
  for (const [id, list] of writes) {
    if (new Set(list.map((w) => w.dedupeKey)).size < 2) continue;
    shared += 1;
    const landed = list.filter((w) => applied(w.operationKey));
    if (landed.length === 0) continue;
    const newestTime = Math.max(...landed.map((w) => w.eventTimeMs));
    const newest = landed.filter((w) => w.eventTimeMs === newestTime);
    const first = newest[0];
    if (!first) continue;
    const final = finalRecord(first.object, first.matchValue);
    // Equal event times are let through in any order by design: any of them may be the final state.
    const matches = newest.some(
      (w) =>
        final !== undefined && Object.entries(w.record).every(([f, v]) => isDeepStrictEqual(final[f], v)),
    );
    if (!matches) stale.push(id);
  }
  return { shared, stale };
}

export function reconcile(input: ReconcileInput): Reconciliation {
  const perOperation = new Map<string, number>();
  for (const [wireKey, n] of input.effects) {
    const key = logicalKeyOf(wireKey);
    perOperation.set(key, (perOperation.get(key) ?? 0) + n);
  }
  const dead = new Map<string, string>();
  for (const d of input.deadLetters) dead.set(d.dedupeKey, d.reason);
  const applied = (key: string) => (perOperation.get(key) ?? 0) > 0;
  // Ordered upserts by CDP entity, for "skipped as older" and the stale-overwrite check.
  const writes = new Map<string, EntityWrite[]>();
  const writeOf = new Map<string, EntityWrite>();
  const unacknowledged = [...(input.unacknowledged ?? new Map<string, ExpectedEvent>())].filter(
    ([dedupeKey]) => !input.accepted.has(dedupeKey),
  );
  for (const [dedupeKey, event] of [...input.accepted, ...unacknowledged]) {
    for (const u of event.upserts ?? []) {
      const w: EntityWrite = { ...u, dedupeKey };
      const id = entityId(u.object, u.matchValue);
      writes.set(id, [...(writes.get(id) ?? []), w]);
      writeOf.set(u.operationKey, w);
    }
  }
  /** Not applied, and legitimately so: a newer event of the entity was applied or sits in the DLQ. */
  const superseded = (key: string): boolean => {
    const w = writeOf.get(key);
    if (!w) return false;
    return (writes.get(entityId(w.object, w.matchValue)) ?? []).some(
      (other) =>
        other.eventTimeMs > w.eventTimeMs && (applied(other.operationKey) || dead.has(other.dedupeKey)),
    );
  };
  const known = new Set<string>();
  let supersededEvents = 0;
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
    const skipped = event.operationKeys.map((k, i) => counts[i] === 0 && superseded(k));
    if (event.operationKeys.length > 0 && counts.every((n, i) => n === 1 || skipped[i])) {
      supersededEvents += 1;
      continue;
    }
    lost.push(dedupeKey);
  }
  let unacknowledgedApplied = 0;
  for (const [dedupeKey, event] of unacknowledged) {
    const counts = event.operationKeys.map((k) => {
      known.add(k);
      return perOperation.get(k) ?? 0;
    });
    if (counts.some((n) => n > 0)) unacknowledgedApplied += 1;
    const over = counts.reduce((sum, n) => sum + Math.max(0, n - 1), 0);
    if (over > 0) {
      doubles += 1;
      extra += over;
      if (doubleSamples.length < 10) doubleSamples.push(dedupeKey);
    }
  }
  const lostByTag: Record<string, number> = {};
  for (const key of lost) {
    const tag = input.eventTags?.get(key) ?? 'other';
    lostByTag[tag] = (lostByTag[tag] ?? 0) + 1;
  }
  const foreignEffects: Record<string, number> = {};
  let unattributed = 0;
  for (const [key, n] of perOperation) {
    if (known.has(key)) continue;
    const kind = input.foreignKeys?.get(key);
    if (kind !== undefined) foreignEffects[kind] = (foreignEffects[kind] ?? 0) + n;
    else unattributed += n;
  }
  const stale = input.finalRecord
    ? staleOverwrites(writes, applied, input.finalRecord)
    : { shared: 0, stale: [] };
  const foreignTotal = Object.values(foreignEffects).reduce((a, b) => a + b, 0);
  return {
    acceptedEvents: input.accepted.size,
    unacknowledgedEvents: unacknowledged.length,
    unacknowledgedApplied,
    appliedOnce,
    acknowledgedNoop: noop,
    deadLettered,
    deadLetteredByReason: byReason,
    deadLetteredWithoutReason: withoutReason,
    doubleEffectEvents: doubles,
    extraEffects: extra,
    lost: lost.length,
    lostSamples: lost.slice(0, 10),
    lostByTag,
    doubleSamples,
    supersededEvents,
    sharedEntities: stale.shared,
    staleOverwrites: stale.stale.length,
    staleSamples: stale.stale.slice(0, 10),
    foreignEffects,
    unattributedEffects: unattributed,
    ok:
      doubles === 0 &&
      lost.length === 0 &&
      withoutReason === 0 &&
      unattributed === 0 &&
      stale.stale.length === 0 &&
      foreignTotal === 0,
  };
}
