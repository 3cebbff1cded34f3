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
import { generateLocalSecret, SIGNERS } from '../../../local/signers';

function rawRequest(url: string, headers: Readonly<Record<string, string>>, body: Buffer): RawRequest {
  const lower: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) lower[name.toLowerCase()] = [value];
  return { method: 'POST', url, headers: lower, body, sourceIp: '127.0.0.1' };
}

describe("send's signed sample deliveries pass the pipeline's own verifiers", () => {
  const secrets = readLocalSecrets(SECRETS_EXAMPLE_PATH);
  const registered = pipelineConfig.sources.filter((s) => SCHEMES[s.provider as ProviderId] !== undefined);

  it('every configured source has a registered scheme', () => {
    assert.deepEqual(
      registered.map((s) => s.id),
      pipelineConfig.sources.map((s) => s.id),
    );
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

describe("the other signers pass the pipeline's verifiers too", () => {
  const configured = new Set(pipelineConfig.sources.map((s) => s.provider));
  const others = (Object.keys(SIGNERS) as ProviderId[]).filter((p) => !configured.has(p) && SCHEMES[p]);

  for (const provider of others) {
    it(`${provider}`, () => {
      const nowMs = Date.now();
      const body = Buffer.from(
        JSON.stringify({ id: 'evt_1', event_id: 'evt_1', type: 'ping', webhookTimestamp: nowMs, data: {} }),
      );
      const { secret, signingKey } = generateLocalSecret(provider);
      const url = `http://localhost:3000/webhooks/${provider}`;
      const signer = SIGNERS[provider];
      assert.ok(signer);
      const signed = signer({
        body,
        url,
        signingKey: signingKey ?? secret,
        nowMs,
        contentType: 'application/json',
      });
      const verdict = authenticate({
        provider,
        request: rawRequest(signed.url, { 'content-type': 'application/json', ...signed.headers }, body),
        secrets: [secret],
        nowMs,
      });
      assert.deepEqual(verdict, { ok: true });
    });
  }
});
