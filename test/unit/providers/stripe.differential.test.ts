/**
 * Differential tests against stripe-node: headers it generates are accepted by ours, and mutated requests
 * are judged the same way by `webhooks.signature.verifyHeader` and by ours, at the same injected clock.
 * Intended differences, kept out of the generators and asserted on their own: ours also rejects
 * timestamps more than the window in the future, and accepts upper-case hex (it compares bytes).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import Stripe from 'stripe';
import { stripe } from '../../../lambdas/providers/stripe';
import {
  type CommonMutation,
  commonMutations,
  insertAt,
  rawRequest,
  replaceCharAt,
  verifyWith,
} from './scheme-test-kit';

const RUNS = 200;
const TOLERANCE = 300;
const sdk = new Stripe('sk_test_differential').webhooks;

interface Case {
  readonly secret: string;
  readonly body: string;
  readonly timestamp: number;
  readonly header: string;
  readonly nowSeconds: number;
}

function sdkAccepts(c: Case, secret = c.secret): boolean {
  try {
    return (
      sdk.signature?.verifyHeader(c.body, c.header, secret, TOLERANCE, undefined, c.nowSeconds * 1000) ===
      true
    );
  } catch {
    return false;
  }
}

function oursAccepts(c: Case, secrets: string[] = [c.secret]): boolean {
  const request = rawRequest({ headers: { 'Stripe-Signature': c.header }, body: c.body });
  return verifyWith(stripe, request, { secrets, nowMs: c.nowSeconds * 1000, toleranceSeconds: TOLERANCE }).ok;
}

const secretArb = fc.stringMatching(/^[A-Za-z0-9]{8,40}$/).map((s) => `whsec_${s}`);
const bodyArb = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.string({ minLength: 1, maxLength: 400, unit: 'grapheme' }),
);
// Age of the timestamp when verified: inside the window, right at its edge, or well past it; the future
// only as far as the window (beyond it the two verdicts are meant to differ).
const ageArb = fc.oneof(
  fc.integer({ min: -TOLERANCE, max: TOLERANCE }),
  fc.constantFrom(TOLERANCE, TOLERANCE + 1, -TOLERANCE),
  fc.integer({ min: TOLERANCE + 1, max: 10_000_000 }),
);

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    secret: secretArb,
    body: bodyArb,
    age: ageArb,
    now: fc.integer({ min: 1_600_000_000, max: 1_900_000_000 }),
  })
  .map(({ secret, body, age, now }) => {
    const timestamp = now - age;
    const header = sdk.generateTestHeaderString({ payload: body, secret, timestamp });
    return { secret, body, timestamp, header, nowSeconds: now };
  });

type Mutation =
  | CommonMutation
  | { kind: 'timestamp'; delta: number }
  | { kind: 'extra'; entry: string }
  | { kind: 'drop'; part: 't' | 'v1' };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  ...commonMutations({
    secretText: fc.stringMatching(/^[A-Za-z0-9]{1,3}$/),
    signatureChars: ['0', '1', 'a', 'f', 'g', 'z', '!', ' '],
  }).arbitraries,
  fc.record({ kind: fc.constant('timestamp' as const), delta: fc.integer({ min: -400, max: 400 }) }),
  fc.record({
    kind: fc.constant('extra' as const),
    entry: fc.constantFrom(`v0=${'ab'.repeat(32)}`, `v1=${'00'.repeat(32)}`, 'v2=zz', 'x=1', 'v1=nothex'),
  }),
  fc.record({ kind: fc.constant('drop' as const), part: fc.constantFrom('t' as const, 'v1' as const) }),
);

function mutate(c: Case, m: Mutation): { case: Case; receiverSecret: string } {
  switch (m.kind) {
    case 'none':
      return { case: c, receiverSecret: c.secret };
    case 'body':
      return { case: { ...c, body: insertAt(c.body, m.at, m.text) }, receiverSecret: c.secret };
    case 'secret':
      return { case: c, receiverSecret: c.secret + m.text };
    case 'signature': {
      const header = replaceCharAt(c.header, m.at, m.char, c.header.indexOf('v1=') + 3);
      return { case: { ...c, header }, receiverSecret: c.secret };
    }
    case 'timestamp': {
      // The header claims another time than the one signed (keeping the future within the window).
      const claimed = Math.max(c.timestamp + m.delta, 0);
      if (claimed - c.nowSeconds > TOLERANCE) return { case: c, receiverSecret: c.secret };
      return { case: { ...c, header: c.header.replace(/^t=\d+/, `t=${claimed}`) }, receiverSecret: c.secret };
    }
    case 'extra':
      return { case: { ...c, header: `${c.header},${m.entry}` }, receiverSecret: c.secret };
    case 'drop': {
      const kept = c.header.split(',').filter((item) => !item.startsWith(`${m.part}=`));
      return { case: { ...c, header: kept.join(',') }, receiverSecret: c.secret };
    }
  }
}

describe('stripe vs stripe-node', () => {
  it('accepts every header stripe-node generates for a fresh timestamp', () => {
    fc.assert(
      fc.property(
        secretArb,
        bodyArb,
        fc.integer({ min: -TOLERANCE, max: TOLERANCE }),
        (secret, body, age) => {
          const now = Math.floor(Date.now() / 1000);
          const header = sdk.generateTestHeaderString({ payload: body, secret, timestamp: now - age });
          const c = { secret, body, timestamp: now - age, header, nowSeconds: now };
          assert.equal(sdkAccepts(c), true);
          assert.equal(oursAccepts(c), true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('judges mutated body, secret, signature, timestamp and header entries like stripe-node', () => {
    fc.assert(
      fc.property(caseArb, mutationArb, (original, mutation) => {
        const { case: c, receiverSecret } = mutate(original, mutation);
        assert.equal(oursAccepts(c, [receiverSecret]), sdkAccepts(c, receiverSecret));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('rotation: accepted when the signing secret is any of the active ones', () => {
    fc.assert(
      fc.property(caseArb, secretArb, (c, other) => {
        const fresh = { ...c, nowSeconds: c.timestamp };
        assert.equal(oursAccepts(fresh, [other, fresh.secret]), sdkAccepts(fresh));
        assert.equal(oursAccepts(fresh, [fresh.secret, other]), true);
      }),
      { numRuns: RUNS },
    );
  });

  it('documents the intended differences: far-future timestamps and upper-case hex', () => {
    const secret = 'whsec_differences';
    const body = '{"id":"evt_1"}';
    const now = 1_700_000_000;
    const future = sdk.generateTestHeaderString({ payload: body, secret, timestamp: now + 3600 });
    const futureCase = { secret, body, timestamp: now + 3600, header: future, nowSeconds: now };
    assert.equal(sdkAccepts(futureCase), true);
    assert.equal(oursAccepts(futureCase), false);
    const header = sdk.generateTestHeaderString({ payload: body, secret, timestamp: now });
    const upper = {
      secret,
      body,
      timestamp: now,
      header: header.replace(/v1=(\w+)/, (_, h: string) => `v1=${h.toUpperCase()}`),
      nowSeconds: now,
    };
    assert.equal(sdkAccepts(upper), false);
    assert.equal(oursAccepts(upper), true);
  });
});
