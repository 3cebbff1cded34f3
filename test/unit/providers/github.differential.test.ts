/**
 * Differential tests against @octokit/webhooks-methods: signatures its `sign` makes are accepted by ours,
 * and mutated requests get the same verdict from its `verify`. Intended difference, kept out of the
 * generators and asserted on its own: ours accepts upper-case hex (it compares the decoded bytes).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verify as octokitVerify, sign } from '@octokit/webhooks-methods';
import fc from 'fast-check';
import { github } from '../../../lambdas/providers/github';
import { type CommonMutation, commonMutations, rawRequest, verifyWith } from './scheme-test-kit';

const RUNS = 200;

async function octokitAccepts(secret: string, body: string, signature: string): Promise<boolean> {
  try {
    return await octokitVerify(secret, body, signature);
  } catch {
    return false;
  }
}

function oursAccepts(secrets: string[], body: string, signature: string): boolean {
  const request = rawRequest({ headers: { 'X-Hub-Signature-256': signature }, body });
  return verifyWith(github, request, { secrets, nowMs: Date.now() }).ok;
}

const secretArb = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== '');
const bodyArb = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.string({ minLength: 1, maxLength: 400, unit: 'grapheme' }),
);

type Mutation = CommonMutation | { kind: 'prefix'; prefix: string };

const common = commonMutations({
  signatureChars: ['0', '9', 'a', 'f', 'g', '=', ' ', '!'],
  // Within the 64 hex digits: the prefix has its own mutation.
  signatureFrom: 'sha256='.length,
});
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  ...common.arbitraries,
  fc.record({
    kind: fc.constant('prefix' as const),
    prefix: fc.constantFrom('sha1=', 'SHA256=', 'sha256 =', '', 'sha512='),
  }),
);

describe('github vs @octokit/webhooks-methods', () => {
  it('accepts every signature octokit makes, for any of the active secrets', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, secretArb, bodyArb, async (secret, other, body) => {
        const signature = await sign(secret, body);
        assert.equal(await octokitAccepts(secret, body, signature), true);
        assert.equal(oursAccepts([secret], body, signature), true);
        assert.equal(oursAccepts([other, secret], body, signature), true);
      }),
      { numRuns: RUNS },
    );
  });

  it('judges mutated bodies, secrets, signatures and prefixes like octokit', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, bodyArb, mutationArb, async (secret, original, mutation) => {
        const signed = { body: original, receiverSecret: secret, signature: await sign(secret, original) };
        const { body, receiverSecret, signature } =
          mutation.kind === 'prefix'
            ? { ...signed, signature: mutation.prefix + signed.signature.slice('sha256='.length) }
            : common.apply(signed, mutation);
        assert.equal(
          oursAccepts([receiverSecret], body, signature),
          await octokitAccepts(receiverSecret, body, signature),
        );
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('documents the intended difference: upper-case hex', async () => {
    const signature = await sign('s3cret', '{"a":1}');
    const upper = `sha256=${signature.slice(7).toUpperCase()}`;
    assert.equal(await octokitAccepts('s3cret', '{"a":1}', upper), false);
    assert.equal(oursAccepts(['s3cret'], '{"a":1}', upper), true);
  });
});
