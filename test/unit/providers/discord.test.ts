import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { discord, discordPublicKey } from '../../../lambdas/providers/discord';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

function pair(): { privateKey: KeyObject; hex: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x ?? '';
  return { privateKey, hex: Buffer.from(x, 'base64url').toString('hex') };
}

const APP = pair();
const OTHER = pair();
const TS = '1700000000';
const NOW = Number(TS) * 1000 + 5000;
const BODY =
  '{"id":"1180000000000000000","type":1,"application_id":"1170000000000000000","token":"tok","version":1}';
const sig = (key: KeyObject, ts = TS, body = BODY) => sign(null, Buffer.from(ts + body), key).toString('hex');
function request(signature: string | null, ts: string | null = TS, body = BODY) {
  const headers: Record<string, string> = {};
  if (signature !== null) headers['X-Signature-Ed25519'] = signature;
  if (ts !== null) headers['X-Signature-Timestamp'] = ts;
  return rawRequest({ body, headers });
}
const verify = (req: ReturnType<typeof request>, secrets = [APP.hex], nowMs = NOW) =>
  verifyWith(discord, req, { secrets, nowMs });

describe('discord', () => {
  it('accepts Ed25519 over timestamp + body with the hex public key, any active key', () => {
    assert.deepEqual(verify(request(sig(APP.privateKey))), { ok: true });
    assert.deepEqual(verify(request(sig(APP.privateKey)), [OTHER.hex, APP.hex]), { ok: true });
    assert.deepEqual(verify(request(sig(APP.privateKey)), [APP.hex.toUpperCase()]), { ok: true });
  });

  it('rejects tampered body or timestamp, other keys and encodings', () => {
    assertRejected(verify(request(sig(APP.privateKey), TS, `${BODY} `)), 'signature_mismatch');
    assertRejected(verify(request(sig(APP.privateKey), String(Number(TS) + 1))), 'signature_mismatch');
    assertRejected(verify(request(sig(OTHER.privateKey))), 'signature_mismatch');
    const b64 = Buffer.from(sig(APP.privateKey), 'hex').toString('base64');
    assertRejected(verify(request(b64)), 'malformed_signature');
    assertRejected(verify(request(sig(APP.privateKey).slice(2))), 'malformed_signature');
  });

  it('rejects secrets that are not 32-byte hex public keys', () => {
    for (const secret of ['abcd', Buffer.from(APP.hex, 'hex').toString('base64'), `${APP.hex}00`]) {
      assert.equal(discordPublicKey(secret), null);
      assertRejected(verify(request(sig(APP.privateKey)), [secret]), 'invalid_secret_config');
    }
    assert.equal(discordPublicKey(APP.hex), discordPublicKey(APP.hex));
  });

  it('rejects missing headers, stale or future timestamps and empty bodies', () => {
    assertRejected(verify(request(null)), 'missing_signature');
    assertRejected(verify(request(sig(APP.privateKey), null)), 'missing_timestamp');
    assertRejected(
      verify(request(sig(APP.privateKey)), [APP.hex], Number(TS) * 1000 + 301_000),
      'timestamp_too_old',
    );
    assertRejected(
      verify(request(sig(APP.privateKey)), [APP.hex], Number(TS) * 1000 - 301_000),
      'timestamp_in_future',
    );
    assertRejected(verify(request(sig(APP.privateKey, 'x'), 'x')), 'malformed_timestamp');
    assertRejected(verify(request(sig(APP.privateKey, TS, ''), TS, '')), 'empty_body');
  });

  it('extracts interactions and webhook events', () => {
    const interaction = discord.extract(request(null), {});
    assert.ok(interaction.ok);
    assert.deepEqual(
      interaction.events.map((e) => [e.providerEventId, e.eventType]),
      [['1180000000000000000', 'interaction.1']],
    );
    const event = discord.extract(
      request(
        null,
        TS,
        '{"version":1,"application_id":"1","type":1,"event":{"type":"APPLICATION_AUTHORIZED","timestamp":"2024-10-18T14:42:53.064834","data":{}}}',
      ),
      {},
    );
    assert.ok(event.ok);
    assert.deepEqual(
      event.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [[undefined, 'APPLICATION_AUTHORIZED', new Date('2024-10-18T14:42:53.064834').toISOString()]],
    );
    const ping = discord.extract(request(null, TS, '{"version":1,"application_id":"1","type":0}'), {});
    assert.ok(ping.ok);
    assert.equal(ping.events[0]?.eventType, 'webhook.ping');
  });
});
