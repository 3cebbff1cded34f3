/**
 * The shared building blocks the hot paths lean on: prepared HMAC keys must give node:crypto's MAC for
 * every key, the text comparison must be plain equality, and the allocation-free base64 shape check must
 * accept exactly what the decoding check accepts.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type Digest,
  decodeCanonicalBase64,
  hmac,
  hmacBase64,
  isBase64Mac,
  safeEqualText,
} from '../../../lambdas/providers/common';

const DIGESTS: readonly Digest[] = ['sha1', 'sha256', 'sha512'];
const MAC_BYTES = [20, 32, 64] as const;

describe('hmac with prepared keys', () => {
  it('equals createHmac with the string key, for any usable key, parts and algorithm', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DIGESTS),
        // Blank keys are refused on purpose (empty-secret.test.ts).
        fc.string({ unit: 'grapheme', maxLength: 200 }).filter((k) => k.trim() !== ''),
        fc.array(
          fc.oneof(
            fc.string(),
            fc.uint8Array().map((b) => Buffer.from(b)),
          ),
          { maxLength: 4 },
        ),
        (algorithm, key, parts) => {
          const reference = createHmac(algorithm, key);
          for (const part of parts) reference.update(part);
          const expected = reference.digest();
          assert.deepEqual(hmac(algorithm, key, ...parts), expected);
          assert.equal(hmacBase64(algorithm, key, ...parts), expected.toString('base64'));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps giving the right MAC once the key cache has been cleared by many secrets', () => {
    for (let i = 0; i < 600; i++) {
      const key = `secret-${i}`;
      assert.deepEqual(hmac('sha256', key, 'body'), createHmac('sha256', key).update('body').digest());
    }
  });
});

describe('safeEqualText', () => {
  it('is string equality', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        assert.equal(safeEqualText(a, b), a === b);
        assert.equal(safeEqualText(a, a), true);
      }),
    );
  });
});

describe('isBase64Mac', () => {
  it('accepts exactly the canonical base64 that decodes to a MAC of that length', () => {
    const nearMisses = fc.constantFrom(...MAC_BYTES).chain((bytes) =>
      fc.tuple(
        fc.constant(bytes),
        fc.oneof(
          fc.constant(randomBytes(bytes).toString('base64')),
          fc
            .tuple(fc.nat(), fc.constantFrom('A', 'B', 'C', 'D', '/', '+', '=', '-', '_', ' ', 'é'))
            .map(([at, c]) => {
              const mac = randomBytes(bytes).toString('base64');
              const i = at % mac.length;
              return mac.slice(0, i) + c + mac.slice(i + 1);
            }),
          fc.string({ maxLength: 90 }),
          fc.constant(randomBytes(bytes).toString('base64url')),
          fc.constant(randomBytes(bytes).toString('base64').replace(/=+$/, '')),
        ),
      ),
    );
    fc.assert(
      fc.property(nearMisses, ([bytes, value]) => {
        assert.equal(isBase64Mac(value, bytes), decodeCanonicalBase64(value)?.length === bytes);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses set unused bits before the padding', () => {
    // 20 bytes leave 2 unused bits in the last data character: "J" (9) sets one, "I" (8) does not.
    const canonical = Buffer.alloc(20, 0x41).toString('base64');
    assert.equal(isBase64Mac(canonical, 20), true);
    assert.equal(isBase64Mac(`${canonical.slice(0, 26)}J=`, 20), false);
  });
});
