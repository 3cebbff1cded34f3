/**
 * Differential tests against @paddle/paddle-node-sdk's `webhooks.isSignatureValid` (what `unmarshal`
 * runs): requests signed with the documented scheme are accepted by both, and mutations of body, secret,
 * timestamp and signature are judged the same. The SDK reads the real clock, so ours gets `Date.now()` and
 * generated ages stay away from the 5 s edge; the SDK keeps only the last `h1`, so one is sent.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { Paddle } from '@paddle/paddle-node-sdk';
import fc from 'fast-check';
import { paddle } from '../../../lambdas/providers/paddle';
import { rawRequest, replaceCharAt, verifyWith } from './scheme-test-kit';

const client = new Paddle('pdl_sdbx_apikey_01differentialtestsonly');

async function sdk(body: string, secret: string, header: string): Promise<boolean> {
  try {
    return await client.webhooks.isSignatureValid(body, secret, header);
  } catch {
    return false;
  }
}

function ours(body: string, secret: string, header: string): boolean {
  const request = rawRequest({ body, headers: { 'Paddle-Signature': header } });
  return verifyWith(paddle, request, { secrets: [secret], nowMs: Date.now() }).ok;
}

describe('paddle vs @paddle/paddle-node-sdk', () => {
  it('agrees on signed and mutated requests', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Blank secrets are refused by design (empty-secret.test.ts), unlike the SDK.
        fc.string({ minLength: 1, maxLength: 40 }).filter((k) => k.trim() !== ''),
        fc.json({ maxDepth: 3 }),
        fc.oneof(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 9, max: 100_000 })),
        fc.constantFrom('none', 'body', 'secret', 'timestamp', 'signature'),
        fc.nat(),
        async (secret, body, age, kind, at) => {
          const ts = Math.floor(Date.now() / 1000) - age;
          let sig = createHmac('sha256', secret).update(`${ts}:${body}`).digest('hex');
          let [b, s, t] = [body, secret, ts];
          if (kind === 'body') b = `${body} `;
          if (kind === 'secret') s = `${secret}x`;
          if (kind === 'timestamp') t = ts - 1;
          if (kind === 'signature') {
            const i = at % sig.length;
            sig = replaceCharAt(sig, i, sig[i] === '0' ? '1' : '0');
          }
          const header = `ts=${t};h1=${sig}`;
          assert.equal(ours(b, s, header), await sdk(b, s, header));
        },
      ),
      { numRuns: 200 },
    );
  });
});
