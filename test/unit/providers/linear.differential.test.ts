/**
 * Differential tests against @linear/sdk's `LinearWebhookClient.verify` (what its handler and `parseData`
 * run): hex HMAC-SHA256 of the raw body, then the signed body's `webhookTimestamp` within 60 s of
 * `Date.now()`. The SDK has no signing helper, so requests are signed with the documented scheme
 * (https://linear.app/developers/webhooks#securing-webhooks): `hex(HMAC-SHA256(secret, raw body))`.
 * `Date.now` is pinned to the clock ours is given, so the window edges are compared exactly.
 *
 * Intended differences, kept out of the generators and asserted on their own: ours accepts upper-case hex
 * (it compares the decoded bytes) and rejects a fractional timestamp or a non-UTF-8 body, both of which
 * the SDK lets through. The cases where ours used to accept what the SDK rejects (a timestamp sent as a
 * string of digits, a body that starts with a byte order mark) are asserted at the end: ours now rejects
 * them too.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { LinearWebhookClient } from '@linear/sdk/webhooks';
import fc from 'fast-check';
import { linear } from '../../../lambdas/providers/linear';
import { type CommonMutation, commonMutations, rawRequest, verifyWith } from './scheme-test-kit';

const RUNS = 200;
const NOW_MS = 1_750_000_000_000;
const WINDOW_MS = 60_000;

function pinClock(t: TestContext): void {
  t.mock.method(Date, 'now', () => NOW_MS);
}

function sdkAccepts(secret: string, body: string | Buffer, signature: string): boolean {
  try {
    return new LinearWebhookClient(secret).verify(Buffer.from(body), signature);
  } catch {
    return false;
  }
}

function oursAccepts(secrets: string[], body: string | Buffer, signature: string): boolean {
  const request = rawRequest({ body, headers: { 'Linear-Signature': signature } });
  return verifyWith(linear, request, { secrets, nowMs: NOW_MS }).ok;
}

const sign = (secret: string, body: string | Buffer) =>
  createHmac('sha256', secret).update(body).digest('hex');

/** A Linear-shaped payload; `extra` varies the rest of the signed bytes. */
function payload(webhookTimestamp: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    action: 'create',
    type: 'Issue',
    createdAt: '2025-06-15T15:06:40.000Z',
    data: { id: '2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9', title: 'Differential' },
    url: 'https://linear.app/example/issue/EX-1',
    webhookId: '000042e3-d123-4980-b49f-8e140eef9329',
    ...extra,
    webhookTimestamp,
  });
}

// Blank secrets are refused by design (test/unit/providers/empty-secret.test.ts), unlike the SDK.
const secretArb = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((s) => s.trim() !== '');
const extraArb = fc.dictionary(
  // Prefixed so no generated name is special on a plain object (e.g. __proto__) or collides.
  fc.string({ maxLength: 8, unit: 'grapheme' }).map((name) => `x${name}`),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 4 },
);
// Age of the signed timestamp when verified: inside the window, right at its edges, or far outside.
const ageArb = fc.oneof(
  fc.integer({ min: -WINDOW_MS, max: WINDOW_MS }),
  fc.constantFrom(WINDOW_MS, WINDOW_MS + 1, -WINDOW_MS, -WINDOW_MS - 1, 0),
  fc.integer({ min: -10 * WINDOW_MS, max: 10 * WINDOW_MS }),
  fc.integer({ min: WINDOW_MS + 1, max: NOW_MS }),
);

type Mutation =
  | CommonMutation
  | { kind: 'unsigned-timestamp'; delta: number }
  | { kind: 'timestamp-value'; value: unknown }
  | { kind: 'base64' }
  | { kind: 'not-json' }
  | { kind: 'bom' };

const common = commonMutations({
  // Unmutated requests weigh more so the accepting side of the verdict is well exercised.
  noneWeight: 4,
  textUnit: 'grapheme',
  signatureChars: ['0', '1', '9', 'a', 'f', 'g', 'z', ' ', '!'],
});
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  ...common.arbitraries,
  // The timestamp is rewritten after signing (a replay with a fresher timestamp).
  fc.record({
    kind: fc.constant('unsigned-timestamp' as const),
    delta: fc.integer({ min: -120_000, max: 120_000 }).filter((d) => d !== 0),
  }),
  // Signed, but not a usable epoch-milliseconds number (fractions are compared separately).
  fc.record({
    kind: fc.constant('timestamp-value' as const),
    value: fc.constantFrom(
      null,
      true,
      [NOW_MS],
      { at: NOW_MS },
      -1,
      0,
      Math.floor(NOW_MS / 1000),
      1e300,
      String(NOW_MS),
      '',
    ),
  }),
  fc.constant({ kind: 'base64' as const }),
  fc.constant({ kind: 'not-json' as const }),
  fc.constant({ kind: 'bom' as const }),
);

describe('linear vs @linear/sdk LinearWebhookClient.verify', () => {
  it('accepts every fresh, signed request the SDK accepts, for any of the active secrets', (t) => {
    pinClock(t);
    fc.assert(
      fc.property(
        secretArb,
        secretArb,
        extraArb,
        fc.integer({ min: -WINDOW_MS, max: WINDOW_MS }),
        (secret, other, extra, age) => {
          const body = payload(NOW_MS - age, extra);
          const signature = sign(secret, body);
          assert.equal(sdkAccepts(secret, body, signature), true);
          assert.equal(oursAccepts([secret], body, signature), true);
          assert.equal(oursAccepts([other, secret], body, signature), true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('judges mutated bodies, secrets, signatures and timestamps like the SDK', (t) => {
    pinClock(t);
    fc.assert(
      fc.property(secretArb, extraArb, ageArb, mutationArb, (secret, extra, age, mutation) => {
        const timestamp = NOW_MS - age;
        let body = payload(timestamp, extra);
        let receiverSecret = secret;
        let signature = sign(secret, body);
        switch (mutation.kind) {
          case 'unsigned-timestamp':
            body = payload(timestamp + mutation.delta, extra);
            break;
          case 'timestamp-value':
            body = payload(mutation.value, extra);
            signature = sign(secret, body);
            break;
          case 'base64':
            signature = Buffer.from(signature, 'hex').toString('base64');
            break;
          case 'not-json':
            body = body.slice(0, -1);
            signature = sign(secret, body);
            break;
          case 'bom':
            body = `\uFEFF${body}`;
            signature = sign(secret, body);
            break;
          default:
            ({ body, receiverSecret, signature } = common.apply(
              { body, receiverSecret, signature },
              mutation,
            ));
        }
        assert.equal(
          oursAccepts([receiverSecret], body, signature),
          sdkAccepts(receiverSecret, body, signature),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('agrees on a missing webhookTimestamp and on the exact window edges', (t) => {
    pinClock(t);
    const secret = 'lin_wh_differential';
    const missing = JSON.stringify({ type: 'Issue', action: 'create', data: {} });
    assert.equal(sdkAccepts(secret, missing, sign(secret, missing)), false);
    assert.equal(oursAccepts([secret], missing, sign(secret, missing)), false);
    for (const [age, accepted] of [
      [WINDOW_MS, true],
      [-WINDOW_MS, true],
      [WINDOW_MS + 1, false],
      [-WINDOW_MS - 1, false],
    ] as const) {
      const body = payload(NOW_MS - age);
      assert.equal(sdkAccepts(secret, body, sign(secret, body)), accepted, `SDK, age ${age} ms`);
      assert.equal(oursAccepts([secret], body, sign(secret, body)), accepted, `ours, age ${age} ms`);
    }
  });

  it('documents the intended differences: upper-case hex, fractional timestamps, invalid UTF-8', (t) => {
    pinClock(t);
    const secret = 'lin_wh_differential';

    // Ours compares the decoded bytes, so the case of the hex digits does not matter; the SDK compares text.
    const body = payload(NOW_MS);
    const upper = sign(secret, body).toUpperCase();
    assert.equal(sdkAccepts(secret, body, upper), false);
    assert.equal(oursAccepts([secret], body, upper), true);

    // Linear sends whole epoch milliseconds; ours insists on them, the SDK takes any finite number.
    const fractional = payload(NOW_MS + 0.5);
    assert.equal(sdkAccepts(secret, fractional, sign(secret, fractional)), true);
    assert.equal(oursAccepts([secret], fractional, sign(secret, fractional)), false);

    // Ours decodes the body as strict UTF-8 before reading the timestamp; the SDK substitutes U+FFFD.
    const invalidUtf8 = Buffer.concat([
      Buffer.from('{"title":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(`","webhookTimestamp":${NOW_MS}}`),
    ]);
    assert.equal(sdkAccepts(secret, invalidUtf8, sign(secret, invalidUtf8)), true);
    assert.equal(oursAccepts([secret], invalidUtf8, sign(secret, invalidUtf8)), false);
  });
});

describe('linear: formerly reported cases, now rejected by ours as by the SDK', () => {
  const secret = 'lin_wh_differential';

  it('a signed webhookTimestamp sent as a JSON string of digits', (t) => {
    pinClock(t);
    const body = payload(String(NOW_MS));
    assert.equal(sdkAccepts(secret, body, sign(secret, body)), false);
    assert.equal(oursAccepts([secret], body, sign(secret, body)), false);
  });

  it('a signed body that starts with a UTF-8 byte order mark', (t) => {
    pinClock(t);
    const body = `\uFEFF${payload(NOW_MS)}`;
    assert.equal(sdkAccepts(secret, body, sign(secret, body)), false);
    assert.equal(oursAccepts([secret], body, sign(secret, body)), false);
    // Only at the start: a BOM character inside a JSON string is ordinary text to both.
    const inside = payload(NOW_MS, { xnote: '\uFEFF' });
    assert.equal(sdkAccepts(secret, inside, sign(secret, inside)), true);
    assert.equal(oursAccepts([secret], inside, sign(secret, inside)), true);
  });
});
