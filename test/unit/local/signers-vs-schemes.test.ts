import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authenticate, extractEvents, SCHEMES } from '../../../lambdas/providers/index';
import type { ProviderId, RawRequest } from '../../../lambdas/providers/types';
import { parseSecretString } from '../../../lambdas/shared/secrets';
import { pipelineConfig } from '../../../lib/pipeline-config';
import { fixtureNames, loadFixture, renderFixture } from '../../../local/fixtures';
import {
  readLocalSecrets,
  SECRETS_EXAMPLE_PATH,
  secretStringOf,
  signingKeyOf,
} from '../../../local/local-secrets';
import { signDelivery } from '../../../local/send-webhooks';

function rawRequest(url: string, headers: Readonly<Record<string, string>>, body: Buffer): RawRequest {
  const lower: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) lower[name.toLowerCase()] = [value];
  return { method: 'POST', url, headers: lower, body, sourceIp: '127.0.0.1' };
}

describe("send's signed sample deliveries pass the pipeline's own verifiers", () => {
  const secrets = readLocalSecrets(SECRETS_EXAMPLE_PATH);
  const registered = pipelineConfig.sources.filter((s) => SCHEMES[s.provider as ProviderId] !== undefined);

  it('covers the configured sources whose scheme is registered', () => {
    assert.ok(registered.length > 0);
  });

  for (const source of registered) {
    for (const name of fixtureNames(source.provider)) {
      it(`${source.id}: ${name} is authentic and yields events with ids`, () => {
        const entry = secrets.sources[source.id];
        assert.ok(entry);
        const delivery = signDelivery(
          source,
          renderFixture(loadFixture(source.provider as ProviderId, name)),
          signingKeyOf(entry),
          'http://localhost:3000',
        );
        const request = rawRequest(delivery.url, delivery.headers, delivery.body);
        const verdict = authenticate({
          provider: source.provider as ProviderId,
          request,
          secrets: parseSecretString(secretStringOf(entry)),
          nowMs: Date.now(),
        });
        assert.deepEqual(verdict, { ok: true });
        const extraction = extractEvents(source.provider as ProviderId, request);
        assert.ok(extraction.ok, JSON.stringify(extraction));
        assert.ok(extraction.events.length > 0);
        for (const event of extraction.events) {
          assert.ok(event.providerEventId, `${source.id}/${name}: an event has no provider id`);
          assert.notEqual(event.eventType, 'unknown');
        }
      });
    }
  }
});
