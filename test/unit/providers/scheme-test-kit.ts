/** Small helpers shared by the provider scheme tests (not a test file itself). */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ProviderScheme, RawRequest, Verdict } from '../../../lambdas/providers/types';

/** Builds a RawRequest; header names are lower-cased like the ingest adapter does. */
export function rawRequest(init: {
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  url?: string;
  method?: string;
}): RawRequest {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(init.headers ?? {})) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value : [value];
  }
  return {
    method: init.method ?? 'POST',
    url: init.url ?? 'https://hooks.example.com/prod/webhooks/source',
    headers,
    body: Buffer.isBuffer(init.body) ? init.body : Buffer.from(init.body ?? '', 'utf8'),
  };
}

/** The verdict's reason, or `accepted`. */
export function reasonOf(verdict: Verdict): string {
  return verdict.ok ? 'accepted' : verdict.reason;
}

/** Asserts a rejection whose message leaks none of the given strings (secrets, expected MACs). */
export function assertRejected(
  verdict: Verdict,
  reason: string,
  mustNotContain: readonly string[] = [],
): void {
  assert.equal(reasonOf(verdict), reason);
  if (verdict.ok) return;
  assert.ok(verdict.message.length > 0, 'a rejection explains itself');
  for (const secret of mustNotContain) {
    if (secret.length >= 4) assert.ok(!verdict.message.includes(secret), 'message leaks secret material');
  }
}

/** Runs `verify` with sensible defaults. */
export function verifyWith<O>(
  scheme: ProviderScheme<O>,
  request: RawRequest,
  init: { secrets: string[]; nowMs: number; toleranceSeconds?: number; options?: O },
): Verdict {
  return scheme.verify(request, {
    secrets: init.secrets,
    nowMs: init.nowMs,
    toleranceSeconds: init.toleranceSeconds ?? scheme.defaultToleranceSeconds ?? 300,
    options: init.options ?? ({} as O),
  });
}

/**
 * Mutations most differential tests make to a signed request before asking ours and the SDK for a verdict.
 * `secret` is appended to the secret the receiver verifies with.
 */
export type CommonMutation =
  | { kind: 'none' }
  | { kind: 'body'; at: number; text: string }
  | { kind: 'secret'; text: string }
  | { kind: 'signature'; at: number; char: string };

/** A signed request as the common mutations see it. */
export interface SignedParts {
  body: string;
  receiverSecret: string;
  signature: string;
}

/** One to three characters of `fc.string`'s `unit` (its default when omitted), to insert or append. */
export function shortTextArb(unit?: fc.StringConstraints['unit']): fc.Arbitrary<string> {
  return fc.string({ minLength: 1, maxLength: 3, unit });
}

/** `text` inserted into the body (apply with `insertAt`). */
export function bodyInsertionArb(
  text: fc.Arbitrary<string> = shortTextArb(),
): fc.Arbitrary<Extract<CommonMutation, { kind: 'body' }>> {
  return fc.record({ kind: fc.constant('body' as const), at: fc.nat(), text });
}

/** `text` appended to the receiver's secret. */
export function secretExtensionArb(
  text: fc.Arbitrary<string> = shortTextArb(),
): fc.Arbitrary<Extract<CommonMutation, { kind: 'secret' }>> {
  return fc.record({ kind: fc.constant('secret' as const), text });
}

/** One signature character replaced by one of `chars` (apply with `replaceCharAt`). */
export function signatureCharArb(
  chars: readonly string[],
): fc.Arbitrary<Extract<CommonMutation, { kind: 'signature' }>> {
  return fc.record({
    kind: fc.constant('signature' as const),
    at: fc.nat(),
    char: fc.constantFrom(...chars),
  });
}

/**
 * The common mutations as one test uses them: `arbitraries` to spread first into its `fc.oneof` (none,
 * body, secret, signature, in that order) and `apply` to make one on a signed request.
 */
export function commonMutations(init: {
  /** What a signature character may be replaced with. */
  signatureChars: readonly string[];
  /** Where the replaceable part of the signature starts, past a prefix such as `sha256=`. */
  signatureFrom?: number;
  /** `fc.string`'s unit for what body insertions add, and secret extensions unless `secretText` is given. */
  textUnit?: fc.StringConstraints['unit'];
  secretText?: fc.Arbitrary<string>;
  /** How much the unmutated request weighs against 1 for each mutation. */
  noneWeight?: number;
}): {
  arbitraries: fc.MaybeWeightedArbitrary<CommonMutation>[];
  apply: (signed: SignedParts, mutation: CommonMutation) => SignedParts;
} {
  const text = shortTextArb(init.textUnit);
  return {
    arbitraries: [
      { arbitrary: fc.constant({ kind: 'none' as const }), weight: init.noneWeight ?? 1 },
      bodyInsertionArb(text),
      secretExtensionArb(init.secretText ?? text),
      signatureCharArb(init.signatureChars),
    ],
    apply: (signed, mutation) => {
      switch (mutation.kind) {
        case 'none':
          return signed;
        case 'body':
          return { ...signed, body: insertAt(signed.body, mutation.at, mutation.text) };
        case 'secret':
          return { ...signed, receiverSecret: signed.receiverSecret + mutation.text };
        case 'signature': {
          const signature = replaceCharAt(signed.signature, mutation.at, mutation.char, init.signatureFrom);
          return { ...signed, signature };
        }
      }
    },
  };
}

/** `text` with `insert` placed before index `at`; `at` wraps so every position, the end included, is reachable. */
export function insertAt(text: string, at: number, insert: string): string {
  const i = at % (text.length + 1);
  return text.slice(0, i) + insert + text.slice(i);
}

/**
 * `text` with one character replaced by `char`. `at` wraps within `[from, text.length)`, so a prefix
 * before `from` (such as `sha256=`) is left alone.
 */
export function replaceCharAt(text: string, at: number, char: string, from = 0): string {
  const i = from + (at % (text.length - from));
  return text.slice(0, i) + char + text.slice(i + 1);
}
