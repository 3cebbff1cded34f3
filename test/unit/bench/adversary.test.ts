/**
 * The adversarial chaos generators (pure, no emulators): entity streams really share one CDP entity with
 * distinct times and states, replays keep the signed bytes and signature, and the crash injector throws
 * only at the named bookkeeping calls.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entityStream, replayMutations, STREAM_KINDS, shuffle } from '../../../bench/lib/adversary';
import { createDeliveryFactory } from '../../../bench/lib/deliveries';
import { createRng } from '../../../bench/lib/prng';
import { CrashInjector, InjectedCrashError } from '../../../bench/lib/processor';
import { pipelineConfig } from '../../../lib/pipeline-config';
import { readLocalSecrets, SECRETS_EXAMPLE_PATH } from '../../../local/local-secrets';

function factory(seed: number) {
  return createDeliveryFactory({
    baseUrl: 'http://localhost:3000',
    sources: pipelineConfig.sources,
    secrets: readLocalSecrets(SECRETS_EXAMPLE_PATH),
    rng: createRng(seed),
  });
}

describe('entity streams', () => {
  for (const kind of STREAM_KINDS) {
    it(`${kind}: every event writes the same entity, with its own time and state`, () => {
      const source = pipelineConfig.sources.find((s) => s.provider === kind);
      assert.ok(source);
      const deliveries = entityStream({
        factory: factory(1),
        source,
        kind,
        rng: createRng(2),
        entity: 'e1',
        events: 5,
        duplicateRate: 0.5,
        baseTimeMs: Date.UTC(2026, 0, 1),
      });
      const events = new Map(deliveries.flatMap((d) => d.events).map((e) => [e.dedupeKey, e]));
      assert.equal(events.size, 5, 'five distinct events; the rest are re-deliveries of them');
      assert.ok(deliveries.length >= 5);
      const upserts = [...events.values()].map((e) => {
        const profile = e.upserts?.find((u) => u.object === 'profiles');
        assert.ok(profile, `${e.eventType} upserts a profile`);
        return profile;
      });
      assert.equal(new Set(upserts.map((u) => `${u.object}/${u.matchValue}`)).size, 1, 'one entity');
      assert.equal(new Set(upserts.map((u) => u.eventTimeMs)).size, 5, 'distinct event times');
      assert.equal(new Set(upserts.map((u) => JSON.stringify(u.record))).size, 5, 'distinct states');
    });
  }

  it('is reproducible from the seed', () => {
    const source = pipelineConfig.sources.find((s) => s.provider === 'segment');
    assert.ok(source);
    const make = () =>
      entityStream({
        factory: factory(3),
        source,
        kind: 'segment',
        rng: createRng(4),
        entity: 'e2',
        events: 4,
        duplicateRate: 0.3,
        baseTimeMs: Date.UTC(2026, 0, 1),
      }).map((d) => d.body.toString('utf8'));
    assert.deepEqual(make(), make());
  });

  it('shuffle keeps every item', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    assert.deepEqual(
      [...shuffle(items, createRng(5))].sort((a, b) => a - b),
      items,
    );
  });
});

describe('replays of captured deliveries', () => {
  for (const provider of ['shopify', 'github', 'twilio']) {
    it(`${provider}: same bytes and signature, only unsigned headers changed`, () => {
      const f = factory(6);
      const source = pipelineConfig.sources.find((s) => s.provider === provider);
      assert.ok(source);
      const original = f.fresh(source.id);
      const mutations = replayMutations(provider, createRng(7));
      assert.ok(mutations.length > 0);
      for (const m of mutations) {
        const replay = f.replay(original, m.headers);
        assert.equal(replay.url, original.url);
        assert.ok(replay.body.equals(original.body));
        for (const [name, value] of Object.entries(original.headers)) {
          const changed = Object.keys(m.headers).some((h) => h.toLowerCase() === name.toLowerCase());
          if (!changed) assert.equal(replay.headers[name], value, `${name} kept`);
        }
        for (const [name, value] of Object.entries(m.headers)) assert.equal(replay.headers[name], value);
        assert.equal(replay.events.length, original.events.length, 'the oracle judged the changed request');
      }
    });
  }
});

describe('CrashInjector', () => {
  const port = {
    calls: [] as string[],
    async commit(x: number) {
      this.calls.push(`commit ${x}`);
      return x;
    },
    async release() {
      this.calls.push('release');
    },
    name: 'guard',
  };

  it('crashes before the named calls only, and counts them by point', async () => {
    const crashes = new CrashInjector(1, createRng(8));
    const wrapped = crashes.wrap(port, 'guard', ['commit']);
    await assert.rejects(wrapped.commit(1), InjectedCrashError);
    await wrapped.release();
    assert.equal(wrapped.name, 'guard');
    assert.deepEqual(port.calls, ['release'], 'the crashed call never reached the port');
    assert.deepEqual(crashes.byPoint, { 'guard.commit': 1 });
    assert.equal(crashes.crashes, 1);
  });

  it('passes every call through at rate 0', async () => {
    const crashes = new CrashInjector(0, createRng(9));
    const wrapped = crashes.wrap(port, 'guard', ['commit']);
    assert.equal(await wrapped.commit(2), 2);
    assert.equal(crashes.crashes, 0);
  });
});
