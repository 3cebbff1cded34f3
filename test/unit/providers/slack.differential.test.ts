/**
 * Differential tests against Bolt's `verifySlackRequest`: requests signed the way Bolt checks them are
 * accepted by ours, and mutated requests get the same verdict, at the same injected clock. Intended
 * differences, kept out of the generators and asserted on their own: ours rejects timestamps more than the
 * window in the future (Bolt bounds only the age) and accepts upper-case hex (it compares bytes).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { verifySlackRequest } from '@slack/bolt';
import fc from 'fast-check';
import { slack } from '../../../lambdas/providers/slack';
import { type CommonMutation, commonMutations, rawRequest, verifyWith } from './scheme-test-kit';

const RUNS = 200;

interface Case {
  readonly secret: string;
  readonly body: string;
  readonly timestamp: number;
  readonly signature: string;
  readonly nowMs: number;
}

// Bolt has no signing helper; this is the signature its verifier recomputes.
const signSlack = (secret: string, timestamp: number, body: string) =>
  `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;

function boltAccepts(c: Case, secret = c.secret): boolean {
  try {
    verifySlackRequest({
      signingSecret: secret,
      body: c.body,
      headers: {
        'x-slack-signature': c.signature,
        'x-slack-request-timestamp': c.timestamp,
      },
      nowMilliseconds: c.nowMs,
    });
    return true;
  } catch {
    return false;
  }
}

function oursAccepts(c: Case, secrets: string[] = [c.secret]): boolean {
  const request = rawRequest({
    headers: { 'X-Slack-Signature': c.signature, 'X-Slack-Request-Timestamp': String(c.timestamp) },
    body: c.body,
  });
  return verifyWith(slack, request, { secrets, nowMs: c.nowMs, toleranceSeconds: 300 }).ok;
}

const secretArb = fc.stringMatching(/^[a-f0-9]{16,40}$/);
const bodyArb = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.string({ minLength: 1, maxLength: 400, unit: 'grapheme' }),
);
// Ages in seconds (clock at a whole second): inside, at the edge, beyond; the future only within the window.
const ageArb = fc.oneof(
  fc.integer({ min: -300, max: 300 }),
  fc.constantFrom(300, 301),
  fc.integer({ min: 301, max: 10_000_000 }),
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
    return { secret, body, timestamp, signature: signSlack(secret, timestamp, body), nowMs: now * 1000 };
  });

type Mutation = CommonMutation | { kind: 'timestamp'; delta: number } | { kind: 'version'; version: string };

const common = commonMutations({
  secretText: fc.stringMatching(/^[a-f0-9]{1,3}$/),
  signatureChars: ['0', 'a', 'f', 'g', '!'],
  // Within the 64 hex digits: the version has its own mutation.
  signatureFrom: 'v0='.length,
});
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  ...common.arbitraries,
  fc.record({ kind: fc.constant('timestamp' as const), delta: fc.integer({ min: -200, max: 200 }) }),
  fc.record({ kind: fc.constant('version' as const), version: fc.constantFrom('v1', 'V0', 'v00', '') }),
);

function mutate(c: Case, m: Mutation): { case: Case; receiverSecret: string } {
  const same = (next: Case) => ({ case: next, receiverSecret: c.secret });
  switch (m.kind) {
    case 'timestamp': {
      const timestamp = c.timestamp + m.delta;
      return timestamp * 1000 - c.nowMs > 300_000 ? same(c) : same({ ...c, timestamp });
    }
    case 'version':
      return same({ ...c, signature: m.version + c.signature.slice(2) });
    default: {
      // The case keeps the secret it was signed with.
      const { receiverSecret, ...mutated } = common.apply({ ...c, receiverSecret: c.secret }, m);
      return { case: { ...c, ...mutated }, receiverSecret };
    }
  }
}

describe('slack vs @slack/bolt verifySlackRequest', () => {
  it('accepts every fresh request Bolt accepts, for any of the active secrets', () => {
    fc.assert(
      fc.property(caseArb, secretArb, (c, other) => {
        const fresh = { ...c, timestamp: Math.floor(c.nowMs / 1000) };
        const signed = { ...fresh, signature: signSlack(c.secret, fresh.timestamp, c.body) };
        assert.equal(boltAccepts(signed), true);
        assert.equal(oursAccepts(signed), true);
        assert.equal(oursAccepts(signed, [other, c.secret]), true);
      }),
      { numRuns: RUNS },
    );
  });

  it('judges mutated bodies, secrets, signatures, timestamps and versions like Bolt', () => {
    fc.assert(
      fc.property(caseArb, mutationArb, (original, mutation) => {
        const { case: c, receiverSecret } = mutate(original, mutation);
        assert.equal(oursAccepts(c, [receiverSecret]), boltAccepts(c, receiverSecret));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('documents the intended differences: far-future timestamps and upper-case hex', () => {
    const nowMs = 1_700_000_000_000;
    const future = 1_700_000_000 + 3600;
    const c = {
      secret: 'abc123',
      body: '{}',
      timestamp: future,
      signature: signSlack('abc123', future, '{}'),
      nowMs,
    };
    assert.equal(boltAccepts(c), true);
    assert.equal(oursAccepts(c), false);
    const upper = {
      ...c,
      timestamp: 1_700_000_000,
      signature: `v0=${signSlack('abc123', 1_700_000_000, '{}').slice(3).toUpperCase()}`,
    };
    assert.equal(boltAccepts(upper), false);
    assert.equal(oursAccepts(upper), true);
  });
});
