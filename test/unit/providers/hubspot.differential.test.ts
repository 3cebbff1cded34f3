/**
 * Differential tests against @hubspot/api-client's `Signature`: requests it signs are accepted by ours, and
 * mutated requests are judged the same way by both. Known, intended differences (excluded from the
 * generators and asserted separately): ours also rejects v3 timestamps from the far future, and accepts
 * upper-case hex for v1/v2 (the SDK compares the hex text).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Signature } from '@hubspot/api-client';
import fc from 'fast-check';
import { hubspot } from '../../../lambdas/providers/hubspot';
import type { RawRequest } from '../../../lambdas/providers/types';
import {
  bodyInsertionArb,
  insertAt,
  replaceCharAt,
  secretExtensionArb,
  signatureCharArb,
} from './scheme-test-kit';

const RUNS = 200;

interface Signed {
  readonly version: 'v1' | 'v2' | 'v3';
  readonly secret: string;
  readonly method: string;
  readonly url: string;
  readonly body: string;
  readonly timestamp: number;
  readonly signature: string;
}

function sdkSign(input: Omit<Signed, 'signature'>): string {
  return Signature.getSignature(input.method, input.version, {
    signature: '',
    clientSecret: input.secret,
    requestBody: input.body,
    url: input.url,
    timestamp: input.timestamp,
  });
}

function sdkValid(input: Signed): boolean {
  try {
    return Signature.isValid({
      signature: input.signature,
      clientSecret: input.secret,
      requestBody: input.body,
      url: input.url,
      method: input.method,
      signatureVersion: input.version,
      timestamp: input.timestamp,
    });
  } catch {
    return false;
  }
}

function ours(input: Signed, secrets: string[] = [input.secret]): boolean {
  const headers: Record<string, string[]> =
    input.version === 'v3'
      ? {
          'x-hubspot-signature-v3': [input.signature],
          'x-hubspot-request-timestamp': [String(input.timestamp)],
        }
      : { 'x-hubspot-signature': [input.signature], 'x-hubspot-signature-version': [input.version] };
  const request: RawRequest = {
    method: input.method,
    url: input.url,
    headers,
    body: Buffer.from(input.body, 'utf8'),
  };
  // v1/v2 are compared with the SDK's algorithm, so the source opts in to them (off by default).
  const options = { allowLegacySignatures: true };
  return hubspot.verify(request, { secrets, nowMs: Date.now(), toleranceSeconds: 300, options }).ok;
}

// Blank secrets are refused by design (test/unit/providers/empty-secret.test.ts), unlike the SDK.
const secretArb = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== '');
const bodyArb = fc.oneof(
  fc.json({ maxDepth: 3 }).map((json) => `[${json}]`),
  fc.string({ minLength: 1, maxLength: 300, unit: 'grapheme' }),
);
const urlArb = fc.webUrl({ withQueryParameters: true });
const methodArb = fc.constantFrom('POST', 'PUT', 'PATCH');
// Inside the window, or clearly outside it in the past: away from the edges so the clock ticking between
// our check and the SDK's cannot flip a verdict.
const ageArb = fc.oneof(
  fc.integer({ min: -200_000, max: 290_000 }),
  fc.integer({ min: 310_000, max: 10_000_000 }),
);

function signedArb(version: 'v1' | 'v2' | 'v3'): fc.Arbitrary<Signed> {
  return fc
    .record({ secret: secretArb, method: methodArb, url: urlArb, body: bodyArb, age: ageArb })
    .map((r) => {
      const base = {
        version,
        secret: r.secret,
        method: r.method,
        url: r.url,
        body: r.body,
        timestamp: Date.now() - (version === 'v3' ? r.age : 0),
      };
      return { ...base, signature: sdkSign(base) };
    });
}

type Mutation =
  | { kind: 'body'; at: number; text: string }
  | { kind: 'secret'; text: string }
  | { kind: 'url'; text: string }
  | { kind: 'method' }
  | { kind: 'timestamp'; delta: number }
  | { kind: 'signature'; at: number; char: string }
  | { kind: 'none' };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  bodyInsertionArb(),
  secretExtensionArb(),
  fc.record({ kind: fc.constant('url' as const), text: fc.constantFrom('/', 'x', '?a=1', '%2F', '#') }),
  fc.record({ kind: fc.constant('method' as const) }),
  fc.record({ kind: fc.constant('timestamp' as const), delta: fc.integer({ min: -1000, max: 1000 }) }),
  signatureCharArb(['0', 'a', 'f', 'A', 'Z', '+', '/', '=', 'g', '!']),
  fc.record({ kind: fc.constant('none' as const) }),
);

function mutate(input: Signed, mutation: Mutation): Signed {
  switch (mutation.kind) {
    case 'body':
      return { ...input, body: insertAt(input.body, mutation.at, mutation.text) };
    case 'secret':
      return { ...input, secret: input.secret + mutation.text };
    case 'url':
      return { ...input, url: input.url + mutation.text };
    case 'method':
      return { ...input, method: input.method === 'POST' ? 'PUT' : 'POST' };
    case 'timestamp':
      return input.version === 'v3' ? { ...input, timestamp: input.timestamp + mutation.delta } : input;
    case 'signature': {
      const char = input.version === 'v3' ? mutation.char : mutation.char.toLowerCase();
      return { ...input, signature: replaceCharAt(input.signature, mutation.at, char) };
    }
    case 'none':
      return input;
  }
}

describe('hubspot vs @hubspot/api-client', () => {
  for (const version of ['v1', 'v2', 'v3'] as const) {
    it(`accepts every ${version} request the SDK signs (fresh timestamps)`, () => {
      fc.assert(
        fc.property(signedArb(version), (signed) => {
          const fresh = version === 'v3' ? { ...signed, timestamp: Date.now() } : signed;
          const resigned = { ...fresh, signature: sdkSign(fresh) };
          assert.equal(ours(resigned), true);
          assert.equal(sdkValid(resigned), true);
        }),
        { numRuns: RUNS },
      );
    });

    it(`judges mutated ${version} requests like the SDK`, () => {
      fc.assert(
        fc.property(signedArb(version), mutationArb, (signed, mutation) => {
          const mutated = mutate(signed, mutation);
          // A mutated secret is the receiver holding a different secret than the signer used.
          const verdict =
            mutation.kind === 'secret' ? ours({ ...signed, secret: mutated.secret }) : ours(mutated);
          const sdk =
            mutation.kind === 'secret' ? sdkValid({ ...signed, secret: mutated.secret }) : sdkValid(mutated);
          assert.equal(verdict, sdk);
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('rotation: the SDK-signed request verifies when its secret is any of the active ones', () => {
    fc.assert(
      fc.property(signedArb('v3'), secretArb, (signed, other) => {
        const fresh = { ...signed, timestamp: Date.now() };
        const resigned = { ...fresh, signature: sdkSign(fresh) };
        assert.equal(ours(resigned, [`${other}-new`, resigned.secret]), true);
      }),
      { numRuns: RUNS },
    );
  });

  it('documents the intended differences: far-future v3 timestamps and upper-case hex', () => {
    const future = {
      version: 'v3' as const,
      secret: 's',
      method: 'POST',
      url: 'https://a.example/h',
      body: '[]',
    };
    const signedFuture = { ...future, timestamp: Date.now() + 3_600_000 };
    const withSig = { ...signedFuture, signature: sdkSign(signedFuture) };
    assert.equal(sdkValid(withSig), true);
    assert.equal(ours(withSig), false);
    const v1 = { ...future, version: 'v1' as const, timestamp: 0 };
    const upper = { ...v1, signature: sdkSign(v1).toUpperCase() };
    assert.equal(sdkValid(upper), false);
    assert.equal(ours(upper), true);
  });
});
