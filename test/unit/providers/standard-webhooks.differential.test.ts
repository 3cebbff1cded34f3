/**
 * Differential tests against the reference `standardwebhooks` library and the `svix` SDK: messages they
 * sign are accepted by ours, and mutated messages are judged the same way. Both libraries read the real
 * clock, so generated timestamps stay clear of the window's edges. Intended differences, kept out of the
 * generators: ours rejects empty bodies, and `v1a` (Ed25519) is not implemented by the JS libraries.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { standardWebhooks } from '../../../lambdas/providers/standard-webhooks';
import {
  bodyInsertionArb,
  insertAt,
  rawRequest,
  replaceCharAt,
  signatureCharArb,
  verifyWith,
} from './scheme-test-kit';

const RUNS = 200;

interface Message {
  readonly secret: string;
  readonly id: string;
  readonly timestamp: number;
  readonly body: string;
  readonly signature: string;
  readonly prefix: 'webhook' | 'svix';
}

function headersOf(m: Message): Record<string, string> {
  return {
    [`${m.prefix}-id`]: m.id,
    [`${m.prefix}-timestamp`]: String(m.timestamp),
    [`${m.prefix}-signature`]: m.signature,
  };
}

function referenceAccepts(m: Message, secret = m.secret): boolean {
  try {
    if (m.prefix === 'svix') new SvixWebhook(secret).verify(m.body, headersOf(m));
    else new StandardWebhook(secret).verify(m.body, headersOf(m));
    return true;
  } catch (error) {
    // Both parse the payload as JSON only after the signature matched: a SyntaxError means "verified".
    return error instanceof SyntaxError;
  }
}

function oursAccepts(m: Message, secrets: string[] = [m.secret]): boolean {
  const request = rawRequest({ headers: headersOf(m), body: m.body });
  return verifyWith(standardWebhooks, request, { secrets, nowMs: Date.now(), toleranceSeconds: 300 }).ok;
}

const secretArb = fc
  .uint8Array({ minLength: 16, maxLength: 64 })
  .map((bytes) => `whsec_${Buffer.from(bytes).toString('base64')}`);
const idArb = fc.stringMatching(/^msg_[A-Za-z0-9]{4,28}$/);
const bodyArb = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.string({ minLength: 1, maxLength: 400, unit: 'grapheme' }),
);
// Seconds before now: inside the window (both ways) or well outside it, away from the edges.
const ageArb = fc.oneof(
  fc.integer({ min: -280, max: 280 }),
  fc.integer({ min: 320, max: 1_000_000 }),
  fc.integer({ min: -1_000_000, max: -320 }),
);

const messageArb: fc.Arbitrary<Message> = fc
  .record({ secret: secretArb, id: idArb, age: ageArb, body: bodyArb, svix: fc.boolean() })
  .map(({ secret, id, age, body, svix }) => {
    const timestamp = Math.floor(Date.now() / 1000) - age;
    const signature = new StandardWebhook(secret).sign(id, new Date(timestamp * 1000), body);
    return { secret, id, timestamp, body, signature, prefix: svix ? 'svix' : 'webhook' };
  });

type Mutation =
  | { kind: 'none' }
  | { kind: 'body'; at: number; text: string }
  | { kind: 'id'; text: string }
  | { kind: 'timestamp'; delta: number }
  | { kind: 'secret' }
  | { kind: 'signature'; at: number; char: string }
  | { kind: 'list'; extra: string; before: boolean };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  bodyInsertionArb(),
  fc.record({ kind: fc.constant('id' as const), text: fc.stringMatching(/^[A-Za-z0-9_]{1,3}$/) }),
  fc.record({ kind: fc.constant('timestamp' as const), delta: fc.constantFrom(-1, 1, -60, 3600) }),
  fc.constant({ kind: 'secret' as const }),
  signatureCharArb(['A', 'z', '0', '+', '/', '=', '-', '_', '!']),
  fc.record({
    kind: fc.constant('list' as const),
    extra: fc.constantFrom(
      'v2,AAAA',
      `v1,${Buffer.alloc(32).toString('base64')}`,
      'v1a,AAAA',
      'junk',
      'v1,!!',
    ),
    before: fc.boolean(),
  }),
);

function mutate(m: Message, mutation: Mutation): { message: Message; receiverSecret: string } {
  const same = (message: Message) => ({ message, receiverSecret: m.secret });
  switch (mutation.kind) {
    case 'none':
      return same(m);
    case 'body':
      return same({ ...m, body: insertAt(m.body, mutation.at, mutation.text) });
    case 'id':
      return same({ ...m, id: m.id + mutation.text });
    case 'timestamp':
      return same({ ...m, timestamp: m.timestamp + mutation.delta });
    case 'secret':
      return { message: m, receiverSecret: `whsec_${randomBytes(24).toString('base64')}` };
    case 'signature':
      return same({ ...m, signature: replaceCharAt(m.signature, mutation.at, mutation.char, 'v1,'.length) });
    case 'list':
      return same({
        ...m,
        signature: mutation.before ? `${mutation.extra} ${m.signature}` : `${m.signature} ${mutation.extra}`,
      });
  }
}

describe('standard webhooks vs standardwebhooks and svix', () => {
  it('accepts every message the reference library signs (fresh timestamps)', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const fresh = { ...m, timestamp: Math.floor(Date.now() / 1000) };
        const signed = {
          ...fresh,
          signature: new SvixWebhook(m.secret).sign(m.id, new Date(fresh.timestamp * 1000), m.body),
        };
        assert.equal(referenceAccepts(signed), true);
        assert.equal(oursAccepts(signed), true);
      }),
      { numRuns: RUNS },
    );
  });

  it('judges mutated bodies, ids, timestamps, secrets and signature lists like the reference', () => {
    fc.assert(
      fc.property(messageArb, mutationArb, (original, mutation) => {
        const { message, receiverSecret } = mutate(original, mutation);
        assert.equal(oursAccepts(message, [receiverSecret]), referenceAccepts(message, receiverSecret));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('rotation: accepted when the signing secret is any of the active ones', () => {
    fc.assert(
      fc.property(messageArb, secretArb, (m, other) => {
        assert.equal(oursAccepts(m, [other, m.secret]), referenceAccepts(m));
      }),
      { numRuns: RUNS },
    );
  });
});
