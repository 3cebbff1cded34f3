/**
 * The adversarial reconciliation rules of `npm run chaos` on hand-made observations (pure, no emulators):
 * several events writing one CDP entity, stale overwrites, older updates legitimately skipped, and the
 * effects of replays and forged requests counted apart from strays.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExpectedEvent } from '../../../bench/lib/deliveries';
import { reconcile } from '../../../bench/lib/reconcile';

/** An event whose only operation upserts `profiles/ada@example.com` at `timeS` with `status`. */
function update(key: string, timeS: number, status: string): [string, ExpectedEvent] {
  const op = `${key}-op`;
  return [
    key,
    {
      dedupeKey: key,
      sourceId: 'stripe',
      provider: 'stripe',
      eventType: 'customer.subscription.updated',
      operationKeys: [op],
      mappingFails: false,
      upserts: [
        {
          operationKey: op,
          object: 'profiles',
          matchValue: 'ada@example.com',
          eventTimeMs: timeS * 1000,
          record: { email: 'ada@example.com', subscription_status: status },
        },
      ],
    },
  ];
}

const A = update('a', 300, 'active'); // newest
const B = update('b', 200, 'past_due');
const C = update('c', 100, 'trialing'); // oldest

function finalState(status: string | undefined) {
  return (object: string, matchValue: string) =>
    object === 'profiles' && matchValue === 'ada@example.com' && status !== undefined
      ? { email: 'ada@example.com', subscription_status: status, extra: 'kept from an earlier upsert' }
      : undefined;
}

describe('reconcile: events sharing a CDP entity', () => {
  it('passes when the newest applied event is the final state, older ones applied earlier or skipped', () => {
    const result = reconcile({
      accepted: new Map([A, B, C]),
      // C applied before A; B arrived after A and was skipped by the guard.
      effects: new Map([
        ['a-op', 1],
        ['c-op', 1],
      ]),
      deadLetters: [],
      finalRecord: finalState('active'),
    });
    assert.equal(result.ok, true);
    assert.equal(result.staleOverwrites, 0);
    assert.equal(result.sharedEntities, 1);
    assert.equal(result.appliedOnce, 2);
    assert.equal(result.supersededEvents, 1);
    assert.equal(result.lost, 0);
  });

  it('reports a stale overwrite: the newest event landed, an older one landed after it (breach 1)', () => {
    // A's write landed, its answer timed out; B was applied meanwhile; A's retry was replayed by the CDP.
    const result = reconcile({
      accepted: new Map([A, B]),
      effects: new Map([
        ['a-op', 1],
        ['b-op', 1],
      ]),
      deadLetters: [],
      finalRecord: finalState('past_due'),
    });
    assert.equal(result.ok, false);
    assert.equal(result.staleOverwrites, 1);
    assert.deepEqual(result.staleSamples, ['profiles/ada@example.com']);
    // Each event was applied exactly once: only the entity check sees the breach.
    assert.equal(result.lost, 0);
    assert.equal(result.doubleEffectEvents, 0);
  });

  it('reports an entity with applied events but no record as stale', () => {
    const result = reconcile({
      accepted: new Map([A, B]),
      effects: new Map([
        ['a-op', 1],
        ['b-op', 1],
      ]),
      deadLetters: [],
      finalRecord: finalState(undefined),
    });
    assert.equal(result.staleOverwrites, 1);
  });

  it('judges against the newest APPLIED event: a newer one in the DLQ excuses the skipped ones', () => {
    const result = reconcile({
      accepted: new Map([A, B, C]),
      // A dead-lettered without landing; B applied; C skipped (older than B).
      effects: new Map([['b-op', 1]]),
      deadLetters: [{ dedupeKey: 'a', reason: 'cdp_rejected' }],
      finalRecord: finalState('past_due'),
    });
    assert.equal(result.ok, true);
    assert.equal(result.staleOverwrites, 0);
    assert.equal(result.deadLettered, 1);
    assert.equal(result.supersededEvents, 1);
  });

  it('counts a skipped update as lost when nothing newer of its entity was applied or dead-lettered', () => {
    const result = reconcile({
      accepted: new Map([A, B]),
      effects: new Map([['b-op', 1]]),
      deadLetters: [],
      finalRecord: finalState('past_due'),
    });
    assert.equal(result.lost, 1);
    assert.deepEqual(result.lostSamples, ['a']);
    assert.equal(result.ok, false);
  });

  it('does not judge entities written by one event (no ordering to get wrong)', () => {
    const result = reconcile({
      accepted: new Map([A]),
      effects: new Map([['a-op', 1]]),
      deadLetters: [],
      finalRecord: finalState('something else'),
    });
    assert.equal(result.sharedEntities, 0);
    assert.equal(result.staleOverwrites, 0);
    assert.equal(result.ok, true);
  });

  it('accepts any of several newest events with the same time (the guard lets equal times through)', () => {
    const twin = update('a2', 300, 'canceled');
    const result = reconcile({
      accepted: new Map([A, twin, B]),
      effects: new Map([
        ['a-op', 1],
        ['a2-op', 1],
        ['b-op', 1],
      ]),
      deadLetters: [],
      finalRecord: finalState('canceled'),
    });
    assert.equal(result.staleOverwrites, 0);
  });
});

describe('reconcile: effects of requests that must have none', () => {
  it('counts replay and forged effects by kind, not as strays, and fails the run', () => {
    const result = reconcile({
      accepted: new Map([A]),
      effects: new Map([
        ['a-op', 1],
        ['replayed-op', 2],
        ['forged-op', 1],
      ]),
      deadLetters: [],
      foreignKeys: new Map([
        ['replayed-op', 'replay'],
        ['forged-op', 'forged'],
      ]),
    });
    assert.deepEqual(result.foreignEffects, { replay: 2, forged: 1 });
    assert.equal(result.unattributedEffects, 0);
    assert.equal(result.ok, false);
  });

  it('passes when replays were absorbed (their keys have no effect)', () => {
    const result = reconcile({
      accepted: new Map([A]),
      effects: new Map([['a-op', 1]]),
      deadLetters: [],
      foreignKeys: new Map([['replayed-op', 'replay']]),
    });
    assert.deepEqual(result.foreignEffects, {});
    assert.equal(result.ok, true);
  });
});

describe('reconcile: genuine deliveries whose answer was lost', () => {
  it('counts an unacknowledged but applied newer event as real state: the older accepted one was rightly skipped', () => {
    const observed = {
      effects: new Map([['a-op', 1]]),
      deadLetters: [],
      finalRecord: finalState('active'),
    };
    // Without it, B looks lost and the entity's final state (A's) looks like nobody's.
    const blind = reconcile({ accepted: new Map([B]), ...observed });
    assert.equal(blind.ok, false);
    assert.equal(blind.lost, 1);
    const result = reconcile({ accepted: new Map([B]), unacknowledged: new Map([A]), ...observed });
    assert.equal(result.ok, true);
    assert.equal(result.lost, 0);
    assert.equal(result.supersededEvents, 1);
    assert.equal(result.unacknowledgedApplied, 1);
  });

  it('still fails an unacknowledged event applied twice, and a stale final state it does not explain', () => {
    const doubled = reconcile({
      accepted: new Map([B]),
      unacknowledged: new Map([A]),
      effects: new Map([
        ['a-op', 2],
        ['b-op', 1],
      ]),
      deadLetters: [],
    });
    assert.equal(doubled.ok, false);
    assert.equal(doubled.doubleEffectEvents, 1);
    const stale = reconcile({
      accepted: new Map([B]),
      unacknowledged: new Map([A]),
      effects: new Map([
        ['a-op', 1],
        ['b-op', 1],
      ]),
      deadLetters: [],
      finalRecord: finalState('past_due'),
    });
    assert.equal(stale.ok, false);
    assert.equal(stale.staleOverwrites, 1);
  });
});
