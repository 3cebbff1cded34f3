import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProviderId } from '../../../lambdas/providers/types';
import { pipelineConfig } from '../../../lib/pipeline-config';
import { createTokenFiller, fixtureNames, loadFixture, renderFixture } from '../../../local/fixtures';
import { readLocalSecrets, SECRETS_EXAMPLE_PATH, signingKeyOf } from '../../../local/local-secrets';
import { resolveSource, SendUsageError, signDelivery } from '../../../local/send-webhooks';

describe('webhook fixtures', () => {
  it('fills tokens consistently within one delivery and freshly across deliveries', () => {
    const fill = createTokenFiller(Date.UTC(2026, 0, 2, 3, 4, 5));
    const value = fill({
      a: 'evt_{{id}}',
      b: 'evt_{{id}}',
      c: '{{id2}}',
      t: '{{unix}}',
      ms: '{{unixMs}}',
      i: '{{iso}}',
    }) as Record<string, unknown>;
    assert.equal(value.a, value.b);
    assert.notEqual(value.a, `evt_${value.c}`);
    assert.equal(value.t, 1767323045);
    assert.equal(value.ms, 1767323045000);
    assert.equal(value.i, '2026-01-02T03:04:05.000Z');
    const again = createTokenFiller()({ a: 'evt_{{id}}' }) as Record<string, unknown>;
    assert.notEqual(again.a, value.a);
  });

  it('has at least one sample event for every configured source, and each one renders and signs', () => {
    const secrets = readLocalSecrets(SECRETS_EXAMPLE_PATH);
    for (const source of pipelineConfig.sources) {
      const names = fixtureNames(source.provider);
      assert.ok(names.length > 0, `no fixture for ${source.provider}`);
      const entry = secrets.sources[source.id];
      assert.ok(entry, `the example secrets lack ${source.id}`);
      for (const name of names) {
        const rendered = renderFixture(loadFixture(source.provider, name));
        const delivery = signDelivery(source, rendered, signingKeyOf(entry), 'http://localhost:3000');
        assert.ok(delivery.url.startsWith(`http://localhost:3000/webhooks/${source.id}`));
        assert.ok(Object.keys(delivery.headers).length >= 2, `${source.id}/${name} got no signature headers`);
      }
    }
  });

  it('renders form fixtures as form-encoded bodies', () => {
    const rendered = renderFixture(loadFixture('twilio', 'message-status'));
    assert.equal(rendered.contentType, 'application/x-www-form-urlencoded');
    assert.equal(new URLSearchParams(rendered.body.toString()).get('MessageStatus'), 'delivered');
  });

  it('names what is available when a fixture or source is unknown', () => {
    assert.throws(
      () => loadFixture('stripe' as ProviderId, 'nope'),
      /Available: customer\.subscription\.updated/,
    );
    assert.throws(() => resolveSource('nope', pipelineConfig.sources), SendUsageError);
    assert.equal(resolveSource('standard-webhooks', pipelineConfig.sources).id, 'svix');
  });
});
