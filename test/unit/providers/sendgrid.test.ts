import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { sendgrid, sendgridPublicKey } from '../../../lambdas/providers/sendgrid';
import type { RawRequest, Verdict } from '../../../lambdas/providers/types';

// Official vectors from @sendgrid/eventwebhook's own spec (src/eventwebhook.spec.js).
const PUBLIC_KEY =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==';
const SIGNATURE =
  'MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=';
const TIMESTAMP = '1600112502';
const PAYLOAD = `${JSON.stringify([
  {
    email: 'hello@world.com',
    event: 'dropped',
    reason: 'Bounced Address',
    sg_event_id: 'ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA',
    sg_message_id: 'LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0',
    'smtp-id': '<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>',
    timestamp: 1600112492,
  },
])}\r\n`;
const PUBLIC_KEY_MULTIPLE =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQ4LIFtWztlsF7skFqOncjD1lun4H5w8XOhyOArHW9RcIx/FfEzx6cikC/yPfUvwaX/JScE7Fc9CJD2afQ9Ok3Q==';
const SIGNATURE_MULTIPLE =
  'MEYCIQC/I4o6vCgqRYrTljjoVWB/GRWNtxeePlLMHr3x9ETeRQIhAIpV+03nREPTTHWSW0wIOA0EoMPdcNgXa70yCaqDJlu5';
const TIMESTAMP_MULTIPLE = '1619651159';
const PAYLOAD_MULTIPLE = `${JSON.stringify([
  {
    email: 'invalid@gmail.com',
    event: 'processed',
    send_at: 0,
    sg_event_id: 'cHJvY2Vzc2VkLTE5OTQyMTEyLXFOd0JMZ1BRUWpXNkRKdktRd1NBYnctMA',
    sg_message_id: 'qNwBLgPQQjW6DJvKQwSAbw.filterdrecv-canary-547b64655b-cw6zx-1-6089EA4A-56.0',
    'smtp-id': '<qNwBLgPQQjW6DJvKQwSAbw@ismtpd0178p1mdw1.sendgrid.net>',
    timestamp: 1619651146,
  },
  {
    email: 'invalid@gmail.com',
    event: 'bounce',
    ip: '167.89.101.76',
    reason:
      '552 5.2.2 The email account that you tried to reach is over quota and inactive. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaPerm c17si1130468pgv.34 - gsmtp',
    sg_event_id: 'Ym91bmNlLTAtMTk5NDIxMTItcU53QkxnUFFRalc2REp2S1F3U0Fidy0w',
    sg_message_id: 'qNwBLgPQQjW6DJvKQwSAbw.filterdrecv-canary-547b64655b-cw6zx-1-6089EA4A-56.0',
    'smtp-id': '<qNwBLgPQQjW6DJvKQwSAbw@ismtpd0178p1mdw1.sendgrid.net>',
    status: '5.2.2',
    timestamp: 1619651147,
    tls: 1,
    type: 'blocked',
  },
])
  .split('},{')
  .join('},\r\n{')}\r\n`;
const OTHER_KEY =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==';
const BAD_SIGNATURE =
  'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH3j/0=';

function request(
  body: string | Buffer,
  signature?: string | string[],
  timestamp?: string | string[],
): RawRequest {
  const headers: Record<string, string[]> = {};
  if (signature !== undefined) {
    headers['x-twilio-email-event-webhook-signature'] = Array.isArray(signature) ? signature : [signature];
  }
  if (timestamp !== undefined) {
    headers['x-twilio-email-event-webhook-timestamp'] = Array.isArray(timestamp) ? timestamp : [timestamp];
  }
  return {
    method: 'POST',
    url: 'https://hooks.example.com/sendgrid',
    headers,
    body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
  };
}

function verify(req: RawRequest, secrets: string[] = [PUBLIC_KEY], nowSeconds = Number(TIMESTAMP)): Verdict {
  return sendgrid.verify(req, { secrets, nowMs: nowSeconds * 1000, toleranceSeconds: 300, options: {} });
}

function reason(verdict: Verdict): string {
  return verdict.ok ? 'accepted' : verdict.reason;
}

function pem(base64: string): string {
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN PUBLIC KEY-----\n${lines.join('\n')}\n-----END PUBLIC KEY-----\n`;
}

describe('sendgrid official vectors', () => {
  it('accepts the single-event and multi-event vectors', () => {
    assert.deepEqual(verify(request(PAYLOAD, SIGNATURE, TIMESTAMP)), { ok: true });
    assert.deepEqual(
      verify(
        request(PAYLOAD_MULTIPLE, SIGNATURE_MULTIPLE, TIMESTAMP_MULTIPLE),
        [PUBLIC_KEY_MULTIPLE],
        1619651160,
      ),
      { ok: true },
    );
  });

  it('rejects the SDK spec negatives: other key, other payload, other signature, bad timestamp', () => {
    assert.equal(reason(verify(request(PAYLOAD, SIGNATURE, TIMESTAMP), [OTHER_KEY])), 'signature_mismatch');
    assert.equal(reason(verify(request('payload', SIGNATURE, TIMESTAMP))), 'signature_mismatch');
    assert.equal(reason(verify(request(PAYLOAD, BAD_SIGNATURE, TIMESTAMP))), 'signature_mismatch');
    assert.equal(reason(verify(request(PAYLOAD, SIGNATURE, 'timestamp'))), 'malformed_timestamp');
  });

  it('accepts the key PEM-wrapped and among several active keys (rotation)', () => {
    assert.deepEqual(verify(request(PAYLOAD, SIGNATURE, TIMESTAMP), [pem(PUBLIC_KEY)]), { ok: true });
    assert.deepEqual(verify(request(PAYLOAD, SIGNATURE, TIMESTAMP), [OTHER_KEY, PUBLIC_KEY]), { ok: true });
  });

  it('binds the body bytes exactly (trailing CRLF matters)', () => {
    assert.equal(reason(verify(request(PAYLOAD.trimEnd(), SIGNATURE, TIMESTAMP))), 'signature_mismatch');
  });
});

describe('sendgrid bad input', () => {
  it('enforces the replay window in seconds, both ways', () => {
    const req = request(PAYLOAD, SIGNATURE, TIMESTAMP);
    assert.deepEqual(verify(req, [PUBLIC_KEY], Number(TIMESTAMP) + 299), { ok: true });
    assert.equal(reason(verify(req, [PUBLIC_KEY], Number(TIMESTAMP) + 301)), 'timestamp_too_old');
    assert.equal(reason(verify(req, [PUBLIC_KEY], Number(TIMESTAMP) - 301)), 'timestamp_in_future');
    assert.equal(reason(verify(request(PAYLOAD, SIGNATURE, `${TIMESTAMP}000`))), 'timestamp_in_future');
  });

  it('rejects missing, duplicated and garbled headers', () => {
    assert.equal(reason(verify(request(PAYLOAD, undefined, TIMESTAMP))), 'missing_signature');
    assert.equal(reason(verify(request(PAYLOAD, SIGNATURE))), 'missing_timestamp');
    assert.equal(reason(verify(request(PAYLOAD, [SIGNATURE, BAD_SIGNATURE], TIMESTAMP))), 'duplicate_header');
    assert.equal(reason(verify(request(PAYLOAD, SIGNATURE, [TIMESTAMP, '1']))), 'duplicate_header');
    assert.equal(reason(verify(request(PAYLOAD, 'not base64!', TIMESTAMP))), 'malformed_signature');
    const hex = Buffer.from(SIGNATURE, 'base64').toString('hex');
    assert.equal(reason(verify(request(PAYLOAD, hex, TIMESTAMP))), 'malformed_signature');
    const raw = Buffer.alloc(64, 7).toString('base64');
    assert.equal(reason(verify(request(PAYLOAD, raw, TIMESTAMP))), 'malformed_signature');
    const truncated = Buffer.from(SIGNATURE, 'base64').subarray(0, 40).toString('base64');
    assert.equal(reason(verify(request(PAYLOAD, truncated, TIMESTAMP))), 'signature_mismatch');
    assert.equal(reason(verify(request(PAYLOAD, SIGNATURE, '-1'))), 'malformed_timestamp');
  });

  it('rejects empty and non-UTF-8 bodies that were not signed', () => {
    assert.equal(reason(verify(request('', SIGNATURE, TIMESTAMP))), 'empty_body');
    assert.equal(
      reason(verify(request(Buffer.from([0xff, 0xfe]), SIGNATURE, TIMESTAMP))),
      'signature_mismatch',
    );
  });

  it('treats keys that are not P-256 public keys as configuration errors', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    for (const secret of ['not a key', rsa.toString('base64'), p384.toString('base64'), 'c2VjcmV0']) {
      assert.equal(sendgridPublicKey(secret), null);
      assert.equal(reason(verify(request(PAYLOAD, SIGNATURE, TIMESTAMP), [secret])), 'invalid_secret_config');
    }
    assert.deepEqual(verify(request(PAYLOAD, SIGNATURE, TIMESTAMP), ['not a key', PUBLIC_KEY]), { ok: true });
    assert.equal(reason(verify(request(PAYLOAD, SIGNATURE, TIMESTAMP), [])), 'no_active_secret');
  });

  it('caches the parsed key per secret', () => {
    assert.equal(sendgridPublicKey(PUBLIC_KEY), sendgridPublicKey(PUBLIC_KEY));
  });

  it('verifies what node:crypto signs with a fresh key, and never leaks key material', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const body = '[{"event":"open","sg_event_id":"e1","timestamp":1700000000}]\r\n';
    const ts = '1700000000';
    const signature = sign('sha256', Buffer.from(ts + body), {
      key: privateKey,
      dsaEncoding: 'der',
    }).toString('base64');
    assert.deepEqual(verify(request(body, signature, ts), [spki], 1_700_000_000), { ok: true });
    const verdict = verify(request(`${body} `, signature, ts), [spki], 1_700_000_000);
    assert.equal(verdict.ok, false);
    if (!verdict.ok) assert.ok(!verdict.message.includes(spki.slice(30, 60)));
  });
});

describe('sendgrid extract', () => {
  it('splits the array into events with sg_event_id, event and timestamp', () => {
    const extraction = sendgrid.extract(request(PAYLOAD_MULTIPLE), {});
    assert.ok(extraction.ok);
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [
        [
          'cHJvY2Vzc2VkLTE5OTQyMTEyLXFOd0JMZ1BRUWpXNkRKdktRd1NBYnctMA',
          'processed',
          '2021-04-28T23:05:46.000Z',
        ],
        ['Ym91bmNlLTAtMTk5NDIxMTItcU53QkxnUFFRalc2REp2S1F3U0Fidy0w', 'bounce', '2021-04-28T23:05:47.000Z'],
      ],
    );
    assert.equal(JSON.parse(extraction.events[1]?.raw.toString() ?? '{}').type, 'blocked');
  });

  it('reports bodies that are not event arrays', () => {
    assert.equal(sendgrid.extract(request('{}'), {}).ok, false);
    assert.equal(sendgrid.extract(request('[]'), {}).ok, false);
  });
});
