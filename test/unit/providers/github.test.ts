import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { github } from '../../../lambdas/providers/github';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

// GitHub's documented example ("Validating webhook deliveries"): this secret and payload give this header.
const DOC = {
  secret: "It's a Secret to Everybody",
  body: 'Hello, World!',
  signature: 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
};

const SECRET = 'gh-webhook-secret-0123';
const OLD_SECRET = 'gh-webhook-secret-old';
const BODY = '{"action":"opened","issue":{"number":7},"repository":{"full_name":"example/repo"}}';
const NOW = 1_750_000_000_000;

const sha256 = (secret: string, body: string | Buffer = BODY) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const sha1 = (secret: string, body: string | Buffer = BODY) =>
  `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;

function request(headers: Record<string, string | string[]>, body: string | Buffer = BODY) {
  return rawRequest({ headers, body });
}

const verify = (req: ReturnType<typeof request>, secrets = [SECRET], allowSha1?: boolean) =>
  verifyWith(github, req, { secrets, nowMs: NOW, options: allowSha1 === undefined ? {} : { allowSha1 } });

describe('github: official vector', () => {
  it("accepts GitHub's documented example", () => {
    const req = request({ 'X-Hub-Signature-256': DOC.signature }, DOC.body);
    assert.deepEqual(verify(req, [DOC.secret]), { ok: true });
    assertRejected(
      verify(request({ 'X-Hub-Signature-256': DOC.signature }, `${DOC.body}\n`), [DOC.secret]),
      'signature_mismatch',
      [DOC.secret],
    );
  });
});

describe('github: verification', () => {
  it('accepts sha256, with rotation on the receiving side', () => {
    assert.equal(verify(request({ 'X-Hub-Signature-256': sha256(SECRET) })).ok, true);
    assert.equal(
      verify(request({ 'X-Hub-Signature-256': sha256(OLD_SECRET) }), [SECRET, OLD_SECRET]).ok,
      true,
    );
    assert.equal(
      verify(request({ 'X-Hub-Signature-256': sha256(SECRET).toUpperCase().replace('SHA256=', 'sha256=') }))
        .ok,
      true,
    );
  });

  it('rejects tampering, wrong secrets, wrong encoding and wrong prefixes', () => {
    assertRejected(
      verify(request({ 'X-Hub-Signature-256': sha256(SECRET) }, `${BODY} `)),
      'signature_mismatch',
    );
    assertRejected(
      verify(request({ 'X-Hub-Signature-256': sha256(SECRET) }), [OLD_SECRET]),
      'signature_mismatch',
      [OLD_SECRET],
    );
    const b64 = `sha256=${createHmac('sha256', SECRET).update(BODY).digest('base64')}`;
    assertRejected(verify(request({ 'X-Hub-Signature-256': b64 })), 'malformed_signature');
    assertRejected(
      verify(request({ 'X-Hub-Signature-256': sha256(SECRET).slice(0, -2) })),
      'malformed_signature',
    );
    assertRejected(
      verify(request({ 'X-Hub-Signature-256': sha256(SECRET).slice(7) })),
      'unsupported_signature_version',
    );
    assertRejected(
      verify(request({ 'X-Hub-Signature-256': sha256(SECRET).replace('sha256', 'sha512') })),
      'unsupported_signature_version',
    );
  });

  it('legacy sha1 only when the source allows it; sha256 wins when both are sent', () => {
    assertRejected(verify(request({ 'X-Hub-Signature': sha1(SECRET) })), 'unsupported_signature_version', [
      SECRET,
    ]);
    assert.equal(verify(request({ 'X-Hub-Signature': sha1(SECRET) }), [SECRET], true).ok, true);
    assertRejected(
      verify(request({ 'X-Hub-Signature': sha1(OLD_SECRET) }), [SECRET], true),
      'signature_mismatch',
    );
    assertRejected(
      verify(request({ 'X-Hub-Signature': sha256(SECRET) }), [SECRET], true),
      'unsupported_signature_version',
    );
    const both = request({
      'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}`,
      'X-Hub-Signature': sha1(SECRET),
    });
    assertRejected(verify(both, [SECRET], true), 'signature_mismatch');
  });

  it('missing, duplicated and empty inputs', () => {
    assertRejected(verify(request({})), 'missing_signature');
    assertRejected(verify(request({ 'X-Hub-Signature-256': '' })), 'missing_signature');
    assertRejected(
      verify(request({ 'X-Hub-Signature-256': [sha256(SECRET), sha256(OLD_SECRET)] })),
      'duplicate_header',
    );
    assertRejected(verify(request({ 'X-Hub-Signature-256': sha256(SECRET, '') }, '')), 'empty_body');
    assertRejected(verify(request({ 'X-Hub-Signature-256': sha256(SECRET) }), []), 'no_active_secret');
    const binary = Buffer.from([0xc3, 0x28, 0xff]);
    assert.equal(verify(request({ 'X-Hub-Signature-256': sha256(SECRET, binary) }, binary)).ok, true);
  });

  it('validates options', () => {
    assert.deepEqual(github.validateOptions?.({ allowSha1: true }), []);
    assert.deepEqual(github.validateOptions?.(undefined), []);
    assert.equal(github.validateOptions?.({ allowSha1: 'yes' }).length, 1);
  });
});

describe('github: extraction', () => {
  it('id from the signed body, never the unsigned X-GitHub-Delivery; type from X-GitHub-Event plus the action', () => {
    const req = request({
      'X-GitHub-Event': 'issues',
      'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    });
    const extraction = github.extract(req, {});
    assert.ok(extraction.ok);
    const bodyId = `github-body:${createHash('sha256').update(BODY).digest('hex')}`;
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType]),
      [[bodyId, 'issues.opened']],
    );
    // The same signed bytes with a fresh delivery id (a replay) or a rewritten event name: the same id.
    const replay = github.extract(request({ 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': 'fresh' }), {});
    assert.ok(replay.ok);
    assert.equal(replay.events[0]?.providerEventId, bodyId);
    // A different event (another body) gets another id.
    const other = github.extract(
      request({ 'X-GitHub-Event': 'issues' }, BODY.replace('opened', 'closed')),
      {},
    );
    assert.ok(other.ok);
    assert.notEqual(other.events[0]?.providerEventId, bodyId);
  });

  it('events without an action, and form-encoded deliveries', () => {
    const push = github.extract(
      request({ 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': 'd1' }, '{"ref":"refs/heads/main"}'),
      {},
    );
    assert.ok(push.ok);
    assert.equal(push.events[0]?.eventType, 'push');
    const form = `payload=${encodeURIComponent('{"action":"created","zen":"x"}')}`;
    const formEvent = github.extract(
      request({ 'X-GitHub-Event': 'star', 'X-GitHub-Delivery': 'd2' }, form),
      {},
    );
    assert.ok(formEvent.ok);
    assert.equal(formEvent.events[0]?.eventType, 'star.created');
    assert.equal(github.extract(request({}, 'nothing'), {}).ok, false);
  });
});
