/**
 * The reconciliation rules the chaos and drill runs rely on, on hand-made observations (pure: no
 * emulators needed, kept next to the runs it judges).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExpectedEvent } from '../../../bench/lib/deliveries';
import { logicalKeyOf, reconcile } from '../../../bench/lib/reconcile';

function event(dedupeKey: string, operationKeys: string[], mappingFails = false): [string, ExpectedEvent] {
  return [
    dedupeKey,
    { dedupeKey, sourceId: 's', provider: 'stripe', eventType: 't', operationKeys, mappingFails },
  ];
}

describe('reconcile', () => {
  it('passes when every event is applied once, acknowledged, or dead-lettered with a reason', () => {
    const result = reconcile({
      accepted: new Map([event('a', ['k1', 'k2']), event('b', []), event('c', ['k3'])]),
      effects: new Map([
        ['k1', 1],
        ['k2', 1],
      ]),
      deadLetters: [{ dedupeKey: 'c', reason: 'cdp_rejected' }],
    });
    assert.equal(result.ok, true);
    assert.equal(result.appliedOnce, 1);
    assert.equal(result.acknowledgedNoop, 1);
    assert.deepEqual(result.deadLetteredByReason, { cdp_rejected: 1 });
  });

  it('reports a double effect, also when the keys were tagged per attempt', () => {
    const result = reconcile({
      accepted: new Map([event('a', ['k1'])]),
      effects: new Map([
        ['k1~x', 1],
        ['k1~y', 1],
      ]),
      deadLetters: [],
    });
    assert.equal(result.ok, false);
    assert.equal(result.doubleEffectEvents, 1);
    assert.equal(result.extraEffects, 1);
  });

  it('reports an event neither applied nor dead-lettered as lost, and effects nobody asked for', () => {
    const result = reconcile({
      accepted: new Map([event('a', ['k1', 'k2'])]),
      effects: new Map([
        ['k1', 1],
        ['stray', 1],
      ]),
      deadLetters: [],
    });
    assert.equal(result.ok, false);
    assert.equal(result.lost, 1);
    assert.equal(result.unattributedEffects, 1);
  });

  it('attributes wire keys to operations', () => {
    assert.equal(logicalKeyOf('whk_abc'), 'whk_abc');
    assert.equal(logicalKeyOf('whk_abc~1'), 'whk_abc');
  });
});
