import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { slack } from '../../../lambdas/providers/slack';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

// Slack's documented example ("Verifying requests from Slack"): a slash command signed at 1531420618.
const DOC = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
  body: 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
};

const SECRET = 'slack-signing-secret-0123456789ab';
const OLD_SECRET = 'slack-signing-secret-old';
const NOW = 1_750_000_000_000;
const TS = String(NOW / 1000);
const BODY =
  '{"token":"x","team_id":"T1","type":"event_callback","event_id":"Ev0PV52K21","event_time":1749999990,"event":{"type":"app_mention","text":"hi"}}';

const sig = (secret: string, ts: string = TS, body: string | Buffer = BODY) =>
  `v0=${createHmac('sha256', secret).update(`v0:${ts}:`).update(body).digest('hex')}`;

function request(headers: { sig?: string | string[]; ts?: string }, body: string | Buffer = BODY) {
  const h: Record<string, string | string[]> = {};
  if (headers.sig !== '') h['X-Slack-Signature'] = headers.sig ?? sig(SECRET);
  if (headers.ts !== '') h['X-Slack-Request-Timestamp'] = headers.ts ?? TS;
  return rawRequest({ headers: h, body });
}

const verify = (req: ReturnType<typeof request>, secrets = [SECRET], nowMs = NOW, toleranceSeconds = 300) =>
  verifyWith(slack, req, { secrets, nowMs, toleranceSeconds });

describe('slack: official vector', () => {
  it("accepts Slack's documented example and extracts the slash command", () => {
    const req = request({ sig: DOC.signature, ts: DOC.timestamp }, DOC.body);
    assert.deepEqual(verify(req, [DOC.secret], Number(DOC.timestamp) * 1000 + 1000), { ok: true });
    assertRejected(verify(req, [DOC.secret]), 'timestamp_too_old', [DOC.secret]);
    const extraction = slack.extract(req, undefined);
    assert.ok(extraction.ok);
    assert.equal(extraction.events[0]?.eventType, 'slash_command');
    assert.equal(
      extraction.events[0]?.providerEventId,
      '398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
    );
  });
});

describe('slack: verification', () => {
  it('accepts a fresh request; rotation on the receiving side', () => {
    assert.equal(verify(request({})).ok, true);
    assert.equal(verify(request({ sig: sig(OLD_SECRET) }), [SECRET, OLD_SECRET]).ok, true);
  });

  it('rejects tampering, wrong secrets, wrong encoding and unknown versions', () => {
    assertRejected(verify(request({}, `${BODY} `)), 'signature_mismatch');
    assertRejected(verify(request({}), [OLD_SECRET]), 'signature_mismatch', [OLD_SECRET]);
    const b64 = `v0=${createHmac('sha256', SECRET).update(`v0:${TS}:${BODY}`).digest('base64')}`;
    assertRejected(verify(request({ sig: b64 })), 'malformed_signature');
    assertRejected(
      verify(request({ sig: sig(SECRET).replace('v0=', 'v1=') })),
      'unsupported_signature_version',
    );
    assertRejected(verify(request({ sig: sig(SECRET).slice(3) })), 'unsupported_signature_version');
    assertRejected(verify(request({ sig: 'v0=' })), 'malformed_signature');
  });

  it('the timestamp is bound to the signature', () => {
    assertRejected(verify(request({ ts: String(NOW / 1000 - 1) })), 'signature_mismatch');
  });

  it('replay window: ±300 s in seconds', () => {
    const at = (t: number) => request({ ts: String(t), sig: sig(SECRET, String(t)) });
    const t = NOW / 1000;
    assert.equal(verify(at(t - 299)).ok, true);
    assert.equal(verify(at(t + 299)).ok, true);
    assertRejected(verify(at(t - 301)), 'timestamp_too_old');
    assertRejected(verify(at(t + 301)), 'timestamp_in_future');
    assertRejected(verify(at(NOW)), 'timestamp_in_future');
    assertRejected(verify(request({ ts: 'now', sig: sig(SECRET, 'now') })), 'malformed_timestamp');
  });

  it('missing, duplicated and empty inputs', () => {
    assertRejected(verify(request({ sig: '' })), 'missing_signature');
    assertRejected(verify(request({ ts: '' })), 'missing_timestamp');
    assertRejected(verify(request({ sig: [sig(SECRET), sig(OLD_SECRET)] })), 'duplicate_header');
    assertRejected(verify(request({ sig: sig(SECRET, TS, '') }, '')), 'empty_body');
    assertRejected(verify(request({}), []), 'no_active_secret');
  });
});

describe('slack: extraction', () => {
  it('Events API: event_id, event.type and event_time', () => {
    const extraction = slack.extract(request({}), undefined);
    assert.ok(extraction.ok);
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [['Ev0PV52K21', 'app_mention', new Date(1_749_999_990_000).toISOString()]],
    );
  });

  it('url_verification has no id; interactivity payloads use trigger_id', () => {
    const challenge = slack.extract(
      request({}, '{"token":"t","challenge":"abc","type":"url_verification"}'),
      undefined,
    );
    assert.ok(challenge.ok);
    assert.equal(challenge.events[0]?.eventType, 'url_verification');
    assert.equal(challenge.events[0]?.providerEventId, undefined);
    const payload = encodeURIComponent(
      '{"type":"block_actions","trigger_id":"13345224609.738474920.8088930838d88f008e0"}',
    );
    const interaction = slack.extract(request({}, `payload=${payload}`), undefined);
    assert.ok(interaction.ok);
    assert.equal(interaction.events[0]?.eventType, 'block_actions');
    assert.equal(interaction.events[0]?.providerEventId, '13345224609.738474920.8088930838d88f008e0');
    assert.equal(slack.extract(request({}, 'just text'), undefined).ok, false);
  });
});
