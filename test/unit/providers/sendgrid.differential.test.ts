/**
 * Differential tests against @sendgrid/eventwebhook: requests signed with node:crypto (SendGrid publishes no
 * signing helper) under generated P-256 keys are accepted by both, and mutations of body, timestamp,
 * signature and key are judged the same. The SDK has no replay window, so generated timestamps stay inside
 * ours (the window itself is covered in sendgrid.test.ts).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { EventWebhook } from '@sendgrid/eventwebhook';
import fc from 'fast-check';
import { sendgrid } from '../../../lambdas/providers/sendgrid';
import type { RawRequest } from '../../../lambdas/providers/types';
import { replaceCharAt } from './scheme-test-kit';

const RUNS = 200;
const NOW_S = 1_700_000_000;

interface Pair {
  readonly privateKey: KeyObject;
  readonly spki: string;
}

function newPair(): Pair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, spki: publicKey.export({ type: 'spki', format: 'der' }).toString('base64') };
}

const PAIRS = [newPair(), newPair(), newPair()];
const webhook = new EventWebhook();

function sdkValid(spki: string, body: string, signature: string, timestamp: string): boolean {
  try {
    return webhook.verifySignature(webhook.convertPublicKeyToECDSA(spki), body, signature, timestamp);
  } catch {
    return false;
  }
}

function ours(secrets: string[], body: string, signature: string, timestamp: string): boolean {
  const request: RawRequest = {
    method: 'POST',
    url: 'https://hooks.example.com/sendgrid',
    headers: {
      'x-twilio-email-event-webhook-signature': [signature],
      'x-twilio-email-event-webhook-timestamp': [timestamp],
    },
    body: Buffer.from(body, 'utf8'),
  };
  return sendgrid.verify(request, { secrets, nowMs: NOW_S * 1000, toleranceSeconds: 300, options: {} }).ok;
}

function signWith(pair: Pair, timestamp: string, body: string): string {
  return sign('sha256', Buffer.from(timestamp + body, 'utf8'), {
    key: pair.privateKey,
    dsaEncoding: 'der',
  }).toString('base64');
}

const bodyArb = fc.oneof(
  fc
    .array(fc.json({ maxDepth: 2 }), { minLength: 1, maxLength: 5 })
    .map((items) => `[${items.join(',\r\n')}]\r\n`),
  fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }),
);
const timestampArb = fc.integer({ min: NOW_S - 250, max: NOW_S + 250 }).map(String);
const pairArb = fc.integer({ min: 0, max: PAIRS.length - 1 });

describe('sendgrid vs @sendgrid/eventwebhook', () => {
  it('accepts every request signed with a P-256 key the SDK also accepts', () => {
    fc.assert(
      fc.property(pairArb, bodyArb, timestampArb, (index, body, timestamp) => {
        const pair = PAIRS[index] ?? newPair();
        const signature = signWith(pair, timestamp, body);
        assert.equal(sdkValid(pair.spki, body, signature, timestamp), true);
        assert.equal(ours([pair.spki], body, signature, timestamp), true);
      }),
      { numRuns: RUNS },
    );
  });

  it('judges mutated body, timestamp, signature and key like the SDK', () => {
    fc.assert(
      fc.property(
        pairArb,
        pairArb,
        bodyArb,
        timestampArb,
        fc.constantFrom('none', 'body', 'timestamp', 'signature', 'key', 'truncate'),
        fc.nat(),
        fc.constantFrom('A', 'z', '0', '+', '/'),
        (signer, verifier, body, timestamp, kind, at, char) => {
          const pair = PAIRS[signer] ?? newPair();
          let signature = signWith(pair, timestamp, body);
          let spki = pair.spki;
          let sentBody = body;
          let sentTimestamp = timestamp;
          if (kind === 'body') sentBody = `${body}x`;
          if (kind === 'timestamp') sentTimestamp = String(Number(timestamp) + 1);
          if (kind === 'key') spki = (PAIRS[verifier] ?? pair).spki;
          if (kind === 'signature') {
            signature = replaceCharAt(signature, at % (signature.length - 2), char);
          }
          if (kind === 'truncate') {
            signature = Buffer.from(signature, 'base64')
              .subarray(0, 8 + (at % 60))
              .toString('base64');
          }
          const oursVerdict = ours([spki], sentBody, signature, sentTimestamp);
          const sdkVerdict = sdkValid(spki, sentBody, signature, sentTimestamp);
          if (kind === 'signature') {
            // A mutated signature may still carry the same (r, s): the SDK's DER parser tolerates some
            // malformed length/padding bytes and non-canonical base64 that node:crypto's strict decoding
            // refuses. Stricter is fine; accepting what the SDK rejects never is.
            assert.ok(!oursVerdict || sdkVerdict, 'ours accepted a signature the SDK rejects');
          } else {
            assert.equal(oursVerdict, sdkVerdict);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('accepts the request when its key is any of the active keys (rotation)', () => {
    fc.assert(
      fc.property(pairArb, bodyArb, timestampArb, (index, body, timestamp) => {
        const pair = PAIRS[index] ?? newPair();
        const signature = signWith(pair, timestamp, body);
        const others = PAIRS.filter((p) => p !== pair).map((p) => p.spki);
        assert.equal(ours([...others, pair.spki], body, signature, timestamp), true);
        assert.equal(ours(others, body, signature, timestamp), false);
      }),
      { numRuns: 50 },
    );
  });
});
