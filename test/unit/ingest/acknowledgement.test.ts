/**
 * The acknowledgement a provider requires. Discord's "Webhook Events" guide: a PING (sent when the events
 * URL is saved) and every event are acknowledged with 204 and no body; the ingest's usual 202 with a JSON
 * receipt would fail Discord's URL check. Everything else still gets the 202 receipt.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { createIngest } from '../../../lambdas/ingest/ingest';
import { normaliseHttpEvent } from '../../../lambdas/shared/request';
import { signDiscord } from '../../../local/signers';
import { MemoryClaimCheck, MemoryQueue, RecordingMetrics, silentLogger, staticSecrets } from './fakes';
import { httpV2Event } from './http-events';

const NOW = Date.parse('2024-10-18T14:42:53Z');

function discordKeys() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return {
    publicHex: der.subarray(der.length - 32).toString('hex'),
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

function setup(publicHex: string) {
  const queue = new MemoryQueue();
  const deadLetterQueue = new MemoryQueue();
  const ingest = createIngest({
    sources: new Map([['discord', { id: 'discord', provider: 'discord', secretId: 'discord-key' }]]),
    secrets: staticSecrets({ 'discord-key': [publicHex] }),
    queue,
    deadLetterQueue,
    claimCheck: new MemoryClaimCheck(),
    logger: silentLogger,
    metrics: new RecordingMetrics(),
    now: () => NOW,
    uuid: () => '00000000-0000-4000-8000-000000000000',
    sleep: async () => {},
  });
  return { ingest, queue };
}

describe('ingest acknowledgement as the provider requires it', () => {
  for (const [label, body] of [
    ['PING', '{"version":1,"application_id":"1234560123453231555","type":0}'],
    [
      'event',
      '{"version":1,"application_id":"1234560123453231555","type":1,"event":{"type":"APPLICATION_AUTHORIZED","timestamp":"2024-10-18T14:42:53.064834","data":{"integration_type":1}}}',
    ],
  ] as const) {
    it(`Discord ${label}: queued, then answered 204 with an empty body`, async () => {
      const keys = discordKeys();
      const { ingest, queue } = setup(keys.publicHex);
      const bytes = Buffer.from(body);
      const headers = signDiscord({ body: bytes, url: '', signingKey: keys.privatePem, nowMs: NOW }).headers;
      const response = await ingest.handle(
        normaliseHttpEvent(httpV2Event({ path: '/webhooks/discord', body: bytes, headers })),
      );
      assert.equal(response.statusCode, 204);
      assert.equal(response.body, '');
      assert.equal(queue.accepted.length, 1, 'acknowledged only after the event is durably queued');
    });
  }

  it('a forged Discord request is still refused with a 401 JSON reason', async () => {
    const keys = discordKeys();
    const { ingest, queue } = setup(keys.publicHex);
    const bytes = Buffer.from('{"version":1,"application_id":"1","type":0}');
    const other = discordKeys();
    const headers = signDiscord({ body: bytes, url: '', signingKey: other.privatePem, nowMs: NOW }).headers;
    const response = await ingest.handle(
      normaliseHttpEvent(httpV2Event({ path: '/webhooks/discord', body: bytes, headers })),
    );
    assert.equal(response.statusCode, 401);
    assert.equal(JSON.parse(response.body).error, 'signature_mismatch');
    assert.equal(queue.accepted.length, 0);
  });
});
