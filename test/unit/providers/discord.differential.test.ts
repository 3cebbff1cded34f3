/**
 * Differential tests against discord-interactions' `verifyKey`: requests signed with generated Ed25519
 * keys are accepted by both, and mutations of body, timestamp, signature and key are judged the same.
 * `verifyKey` has no replay window, so timestamps stay inside ours.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { verifyKey } from 'discord-interactions';
import fc from 'fast-check';
import { discord } from '../../../lambdas/providers/discord';
import { rawRequest, replaceCharAt, verifyWith } from './scheme-test-kit';

const NOW_S = 1_700_000_000;
const PAIRS = [0, 1, 2].map(() => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const hex = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url').toString('hex');
  return { privateKey, hex };
});

function ours(body: string, signature: string, timestamp: string, key: string): boolean {
  const request = rawRequest({
    body,
    headers: { 'X-Signature-Ed25519': signature, 'X-Signature-Timestamp': timestamp },
  });
  return verifyWith(discord, request, { secrets: [key], nowMs: NOW_S * 1000 }).ok;
}

const signWith = (key: KeyObject, timestamp: string, body: string) =>
  sign(null, Buffer.from(timestamp + body, 'utf8'), key).toString('hex');

describe('discord vs discord-interactions verifyKey', () => {
  it('agrees on signed and mutated requests', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 2 }),
        fc.json({ maxDepth: 3 }),
        fc.integer({ min: NOW_S - 200, max: NOW_S + 200 }).map(String),
        fc.constantFrom('none', 'body', 'timestamp', 'signature', 'key'),
        fc.nat(),
        async (signer, verifier, body, timestamp, kind, at) => {
          const pair = PAIRS[signer] ?? PAIRS[0];
          if (!pair) return;
          let signature = signWith(pair.privateKey, timestamp, body);
          let [b, t, k] = [body, timestamp, pair.hex];
          if (kind === 'body') b = `${body} `;
          if (kind === 'timestamp') t = String(Number(timestamp) + 1);
          if (kind === 'key') k = PAIRS[verifier]?.hex ?? k;
          if (kind === 'signature') {
            const i = at % signature.length;
            signature = replaceCharAt(signature, i, signature[i] === 'a' ? 'b' : 'a');
          }
          assert.equal(ours(b, signature, t, k), await verifyKey(b, signature, t, k));
        },
      ),
      { numRuns: 200 },
    );
  });
});
