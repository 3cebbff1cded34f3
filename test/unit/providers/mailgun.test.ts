import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { mailgun } from '../../../lambdas/providers/mailgun';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

const KEY = 'key-mailgun-webhook-signing-key';
const TS = 1_700_000_000;
const NOW = TS * 1000 + 10_000;
const TOKEN = 'c1a2b3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9';
const mac = (key: string, ts: number | string = TS, token = TOKEN) =>
  createHmac('sha256', key).update(`${ts}${token}`).digest('hex');
const jsonBody = (signature: Record<string, unknown>, eventData: unknown = defaultEvent) =>
  JSON.stringify({ signature, 'event-data': eventData });
const defaultEvent = { id: 'CPgfbmQMTCKtHW6uIWtuVe', event: 'delivered', timestamp: 1699999999.123 };
const request = (body: string) => rawRequest({ body, headers: { 'content-type': 'application/json' } });
const verify = (body: string, secrets = [KEY], nowMs = NOW) =>
  verifyWith(mailgun, request(body), { secrets, nowMs });

describe('mailgun', () => {
  it('accepts HMAC-SHA256 hex over timestamp + token from the JSON body, with any active key', () => {
    const body = jsonBody({ timestamp: String(TS), token: TOKEN, signature: mac(KEY) });
    assert.deepEqual(verify(body), { ok: true });
    assert.deepEqual(verify(body, ['rotated', KEY]), { ok: true });
    assert.deepEqual(verify(jsonBody({ timestamp: TS, token: TOKEN, signature: mac(KEY) })), { ok: true });
  });

  it('accepts a subaccount event by its parent-signature, keyed with the primary account', () => {
    const PARENT = 'key-primary-account-signing-key';
    const body = jsonBody({
      timestamp: String(TS),
      token: TOKEN,
      signature: mac(KEY),
      'parent-signature': mac(PARENT),
    });
    assert.deepEqual(verify(body, [PARENT]), { ok: true });
    assert.deepEqual(verify(body, [KEY]), { ok: true });
    assertRejected(verify(body, ['unrelated-key']), 'signature_mismatch');
    // The parent signature is bound to the same timestamp and token as the subaccount one.
    const replayed = jsonBody({
      timestamp: String(TS),
      token: `${TOKEN}x`,
      signature: mac(KEY),
      'parent-signature': mac(PARENT),
    });
    assertRejected(verify(replayed, [PARENT]), 'signature_mismatch');
    const malformed = jsonBody({
      timestamp: String(TS),
      token: TOKEN,
      signature: mac(KEY),
      'parent-signature': 'zz',
    });
    assertRejected(verify(malformed, [KEY]), 'malformed_signature');
    const notText = jsonBody({
      timestamp: String(TS),
      token: TOKEN,
      signature: mac(KEY),
      'parent-signature': 1,
    });
    assertRejected(verify(notText, [KEY]), 'missing_signature');
  });

  it('accepts legacy form-encoded signatures', () => {
    const form = new URLSearchParams({
      timestamp: String(TS),
      token: TOKEN,
      signature: mac(KEY),
      event: 'opened',
    });
    assert.deepEqual(verify(form.toString()), { ok: true });
    const extraction = mailgun.extract(request(form.toString()), {});
    assert.ok(extraction.ok);
    assert.equal(extraction.events[0]?.eventType, 'opened');
    form.append('token', 'second');
    assertRejected(verify(form.toString()), 'missing_signature');
  });

  it('rejects wrong key, tampered token or timestamp, and encodings', () => {
    assertRejected(
      verify(jsonBody({ timestamp: String(TS), token: TOKEN, signature: mac(KEY) }), ['other']),
      'signature_mismatch',
      [KEY],
    );
    assertRejected(
      verify(jsonBody({ timestamp: String(TS), token: `${TOKEN}x`, signature: mac(KEY) })),
      'signature_mismatch',
    );
    assertRejected(
      verify(jsonBody({ timestamp: String(TS + 1), token: TOKEN, signature: mac(KEY) })),
      'signature_mismatch',
    );
    const b64 = Buffer.from(mac(KEY), 'hex').toString('base64');
    assertRejected(
      verify(jsonBody({ timestamp: String(TS), token: TOKEN, signature: b64 })),
      'malformed_signature',
    );
    assertRejected(
      verify(jsonBody({ timestamp: String(TS), token: '', signature: mac(KEY, TS, '') })),
      'malformed_signature',
    );
  });

  it('enforces the replay window on the signed timestamp', () => {
    const body = jsonBody({ timestamp: String(TS), token: TOKEN, signature: mac(KEY) });
    assertRejected(verify(body, [KEY], TS * 1000 + 301_000), 'timestamp_too_old');
    assertRejected(verify(body, [KEY], TS * 1000 - 301_000), 'timestamp_in_future');
    assertRejected(
      verify(jsonBody({ timestamp: 'x', token: TOKEN, signature: mac(KEY, 'x') })),
      'malformed_timestamp',
    );
  });

  it('rejects bodies without a signature block and empty bodies', () => {
    assertRejected(verify(JSON.stringify({ 'event-data': defaultEvent })), 'missing_signature');
    assertRejected(verify(jsonBody({ timestamp: String(TS), token: TOKEN })), 'missing_signature');
    assertRejected(verify(''), 'empty_body');
    assertRejected(verify('\xff'), 'missing_signature');
  });

  it('documents that the event data is not signed: swapping it keeps the signature valid', () => {
    const signature = { timestamp: String(TS), token: TOKEN, signature: mac(KEY) };
    assert.deepEqual(verify(jsonBody(signature, { id: 'forged', event: 'failed' })), { ok: true });
  });

  it('id from the signed timestamp and token (not the unsigned event data); event and timestamp', () => {
    const signature = { timestamp: String(TS), token: TOKEN, signature: mac(KEY) };
    const extraction = mailgun.extract(request(jsonBody(signature)), {});
    assert.ok(extraction.ok);
    const tokenId = `mailgun-token:${createHash('sha256').update(`${TS}:${TOKEN}`).digest('hex')}`;
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [[tokenId, 'delivered', '2023-11-14T22:13:19.123Z']],
    );
    // The signed request replayed with swapped event data (a fresh event-data.id): the same event.
    const swapped = jsonBody(signature, { ...defaultEvent, id: 'forged-fresh-id', event: 'opened' });
    assert.deepEqual(verify(swapped), { ok: true });
    const replay = mailgun.extract(request(swapped), {});
    assert.ok(replay.ok);
    assert.equal(replay.events[0]?.providerEventId, tokenId);
    assert.equal(mailgun.extract(request(JSON.stringify({ signature: {} })), {}).ok, false);
  });
});
