/**
 * Differential tests against @adyen/api-library's `HmacValidator`, for both variants ours implements:
 *
 * - standard (payment) notifications: items are signed with the SDK's own `calculateHmac` and judged by
 *   `validateHMAC(item, key)`. The SDK checks one item at a time; Adyen asks receivers to check every item
 *   of a batch, so the SDK's verdict on a body is "there are items and each one validates".
 * - platform (Balance Platform / Management) webhooks: the `HmacSignature` header is made with
 *   `calculateHmac(rawBody, key)` and judged by `validateHMACSignature(key, signature, rawBody)`. Ours is
 *   always sent `Protocol: HmacSHA256`, which the SDK does not look at.
 *
 * Signature mutations stay within the standard base64 alphabet: outside it the SDK (Node's forgiving base64
 * decoder) is laxer than ours, which the "intended differences" test asserts on its own, together with the
 * `Protocol` header and malformed keys. The cases where ours used to accept what the SDK rejects (an item
 * without `amount`, a non-scalar signed field) are asserted at the end: ours now rejects them too, and
 * where the SDK accepts a non-scalar field signed as its `String` form, ours still refuses it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hmacValidator as HmacValidator } from '@adyen/api-library';
import fc from 'fast-check';
import { adyen } from '../../../lambdas/providers/adyen';
import {
  bodyInsertionArb,
  insertAt,
  rawRequest,
  replaceCharAt,
  shortTextArb,
  signatureCharArb,
  verifyWith,
} from './scheme-test-kit';

const RUNS = 200;
const validator = new HmacValidator();
type SdkItem = Parameters<HmacValidator['validateHMAC']>[0];
type Item = Record<string, unknown>;

const SIGNED_FIELDS = [
  'pspReference',
  'originalReference',
  'merchantAccountCode',
  'merchantReference',
  'amount.value',
  'amount.currency',
  'eventCode',
  'success',
] as const;
const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Signs an item the way Adyen does, with the SDK's own helper. */
function signed(item: Item, key: string): Item {
  // The SDK's model class types `eventCode`/`success` as enums; it is fed parsed JSON like this in practice.
  const hmacSignature = validator.calculateHmac(item as unknown as SdkItem, key);
  return { ...item, additionalData: { ...(item.additionalData as Item | undefined), hmacSignature } };
}

function notification(items: readonly Item[]): string {
  return JSON.stringify({
    live: 'false',
    notificationItems: items.map((item) => ({ NotificationRequestItem: item })),
  });
}

function sdkAcceptsItem(item: unknown, key: string): boolean {
  try {
    return validator.validateHMAC(item as SdkItem, key);
  } catch {
    return false;
  }
}

function sdkAcceptsStandard(body: string, key: string): boolean {
  const parsed: unknown = JSON.parse(body);
  const wrappers = (parsed as { notificationItems?: unknown }).notificationItems;
  if (!Array.isArray(wrappers) || wrappers.length === 0) return false;
  return wrappers.every((wrapper: { NotificationRequestItem?: unknown }) =>
    sdkAcceptsItem(wrapper.NotificationRequestItem, key),
  );
}

function oursAcceptsStandard(body: string, keys: string[]): boolean {
  return verifyWith(adyen, rawRequest({ body }), { secrets: keys, nowMs: 0 }).ok;
}

function sdkAcceptsPlatform(body: string, signature: string, key: string): boolean {
  try {
    return validator.validateHMACSignature(key, signature, body);
  } catch {
    return false;
  }
}

function oursAcceptsPlatform(
  body: string,
  headers: Record<string, string | string[]>,
  keys: string[],
): boolean {
  return verifyWith(adyen, rawRequest({ body, headers }), {
    secrets: keys,
    nowMs: 0,
    options: { variant: 'platform' },
  }).ok;
}

/** Flips one hex digit, so the key stays well-formed but is another key. */
function otherKey(key: string, at: number): string {
  const i = at % key.length;
  return replaceCharAt(key, i, key[i] === '0' ? '1' : '0');
}

const keyArb = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .chain((bytes) =>
    fc.constantFrom(Buffer.from(bytes).toString('hex').toUpperCase(), Buffer.from(bytes).toString('hex')),
  );
const textArb = fc.string({ maxLength: 30, unit: 'grapheme' });
const itemArb: fc.Arbitrary<Item> = fc.record(
  {
    pspReference: fc.oneof(fc.stringMatching(/^[0-9A-Z]{16}$/), textArb),
    originalReference: fc.oneof(fc.stringMatching(/^[0-9A-Z]{16}$/), fc.constant('')),
    merchantAccountCode: textArb,
    merchantReference: textArb,
    amount: fc.record({
      value: fc.integer({ min: 0, max: 10_000_000 }),
      currency: fc.constantFrom('EUR', 'USD', 'JPY', 'BHD'),
    }),
    eventCode: fc.constantFrom('AUTHORISATION', 'CAPTURE', 'REFUND', 'CANCELLATION', 'REPORT_AVAILABLE'),
    success: fc.constantFrom('true', 'false'),
    eventDate: fc.constant('2025-06-15T17:15:34.121+02:00'),
    paymentMethod: fc.constantFrom('visa', 'mc', 'ideal'),
    reason: textArb,
  },
  {
    requiredKeys: [
      'pspReference',
      'merchantAccountCode',
      'merchantReference',
      'amount',
      'eventCode',
      'success',
    ],
  },
);
const bodyArb = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.string({ minLength: 1, maxLength: 400, unit: 'grapheme' }),
);

type StandardMutation =
  | { kind: 'none' }
  | { kind: 'signed-field'; item: number; field: (typeof SIGNED_FIELDS)[number]; text: string }
  | { kind: 'unsigned-field'; item: number; field: 'eventDate' | 'reason' | 'paymentMethod'; text: string }
  | { kind: 'key'; at: number }
  | { kind: 'lower-case-key' }
  | { kind: 'signature'; item: number; at: number; char: string }
  | { kind: 'unpadded'; item: number }
  | { kind: 'base64url'; item: number }
  | { kind: 'drop-signature'; item: number }
  | { kind: 'swap-signatures' }
  | { kind: 'object-field'; item: number; field: (typeof SIGNED_FIELDS)[number]; value: object }
  | { kind: 'drop-amount'; item: number };

const standardMutationArb: fc.Arbitrary<StandardMutation> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({
    kind: fc.constant('signed-field' as const),
    item: fc.nat(),
    field: fc.constantFrom(...SIGNED_FIELDS),
    text: shortTextArb('grapheme'),
  }),
  fc.record({
    kind: fc.constant('unsigned-field' as const),
    item: fc.nat(),
    field: fc.constantFrom('eventDate' as const, 'reason' as const, 'paymentMethod' as const),
    text: shortTextArb('grapheme'),
  }),
  fc.record({ kind: fc.constant('key' as const), at: fc.nat() }),
  fc.constant({ kind: 'lower-case-key' as const }),
  fc.record({
    kind: fc.constant('signature' as const),
    item: fc.nat(),
    at: fc.nat(),
    char: fc.constantFrom(...BASE64_ALPHABET),
  }),
  fc.record({ kind: fc.constant('unpadded' as const), item: fc.nat() }),
  fc.record({ kind: fc.constant('base64url' as const), item: fc.nat() }),
  fc.record({ kind: fc.constant('drop-signature' as const), item: fc.nat() }),
  fc.constant({ kind: 'swap-signatures' as const }),
  // Objects only: the SDK signs an array as its joined elements, which can equal the signed text (an
  // intended difference asserted on its own).
  fc.record({
    kind: fc.constant('object-field' as const),
    item: fc.nat(),
    field: fc.constantFrom(...SIGNED_FIELDS),
    value: fc.constantFrom<object>({}, { injected: true }),
  }),
  fc.record({ kind: fc.constant('drop-amount' as const), item: fc.nat() }),
);

/** Applies the mutation to one item's copy (the batch is signed already). */
function mutateStandard(items: Item[], key: string, m: StandardMutation): { items: Item[]; key: string } {
  const copy = items.map((item) => structuredClone(item));
  const pick = (index: number): Item => copy[index % copy.length] as Item;
  const signatureOf = (item: Item) => String((item.additionalData as Item).hmacSignature);
  const setSignature = (item: Item, signature: string | undefined) => {
    item.additionalData = { ...(item.additionalData as Item), hmacSignature: signature };
  };
  switch (m.kind) {
    case 'none':
      break;
    case 'signed-field': {
      const item = pick(m.item);
      if (m.field === 'amount.value') {
        const amount = item.amount as { value: number };
        amount.value += m.text.length;
      } else if (m.field === 'amount.currency') {
        const amount = item.amount as { currency: string };
        amount.currency += m.text;
      } else if (m.field === 'success') {
        item.success = item.success === 'true' ? 'false' : 'true';
      } else {
        item[m.field] = `${String(item[m.field] ?? '')}${m.text}`;
      }
      break;
    }
    case 'unsigned-field': {
      const item = pick(m.item);
      item[m.field] = `${String(item[m.field] ?? '')}${m.text}`;
      break;
    }
    case 'key':
      return { items: copy, key: otherKey(key, m.at) };
    case 'lower-case-key':
      return { items: copy, key: key.toLowerCase() };
    case 'signature': {
      const item = pick(m.item);
      setSignature(item, replaceCharAt(signatureOf(item), m.at % 43, m.char));
      break;
    }
    case 'unpadded': {
      const item = pick(m.item);
      setSignature(item, signatureOf(item).replace(/=+$/, ''));
      break;
    }
    case 'base64url': {
      const item = pick(m.item);
      setSignature(item, Buffer.from(signatureOf(item), 'base64').toString('base64url'));
      break;
    }
    case 'drop-signature':
      setSignature(pick(m.item), undefined);
      break;
    case 'object-field': {
      const item = pick(m.item);
      if (m.field === 'amount.value' || m.field === 'amount.currency') {
        const amount = item.amount as Item;
        amount[m.field === 'amount.value' ? 'value' : 'currency'] = m.value;
      } else {
        item[m.field] = m.value;
      }
      break;
    }
    case 'drop-amount':
      delete pick(m.item).amount;
      break;
    case 'swap-signatures': {
      const first = copy[0] as Item;
      const last = copy[copy.length - 1] as Item;
      const firstSignature = signatureOf(first);
      setSignature(first, signatureOf(last));
      setSignature(last, firstSignature);
      break;
    }
  }
  return { items: copy, key };
}

type PlatformMutation =
  | { kind: 'none' }
  | { kind: 'body'; at: number; text: string }
  | { kind: 'key'; at: number }
  | { kind: 'signature'; at: number; char: string }
  | { kind: 'unpadded' }
  | { kind: 'base64url' }
  | { kind: 'hex' }
  | { kind: 'no-protocol' };

const platformMutationArb: fc.Arbitrary<PlatformMutation> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  bodyInsertionArb(shortTextArb('grapheme')),
  fc.record({ kind: fc.constant('key' as const), at: fc.nat() }),
  signatureCharArb([...BASE64_ALPHABET]),
  fc.constant({ kind: 'unpadded' as const }),
  fc.constant({ kind: 'base64url' as const }),
  fc.constant({ kind: 'hex' as const }),
  fc.constant({ kind: 'no-protocol' as const }),
);

describe('adyen standard notifications vs HmacValidator.validateHMAC', () => {
  it('accepts every batch signed with calculateHmac, for any of the active keys', () => {
    fc.assert(
      fc.property(keyArb, keyArb, fc.array(itemArb, { minLength: 1, maxLength: 3 }), (key, other, items) => {
        const body = notification(items.map((item) => signed(item, key)));
        assert.equal(sdkAcceptsStandard(body, key), true);
        assert.equal(oursAcceptsStandard(body, [key]), true);
        assert.equal(oursAcceptsStandard(body, [other, key]), true);
      }),
      { numRuns: RUNS },
    );
  });

  it('judges mutated fields, keys and signatures like the SDK', () => {
    fc.assert(
      fc.property(
        keyArb,
        fc.array(itemArb, { minLength: 1, maxLength: 3 }),
        standardMutationArb,
        (key, items, mutation) => {
          const mutated = mutateStandard(
            items.map((item) => signed(item, key)),
            key,
            mutation,
          );
          const body = notification(mutated.items);
          assert.equal(oursAcceptsStandard(body, [mutated.key]), sdkAcceptsStandard(body, mutated.key));
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('adyen platform webhooks vs HmacValidator.validateHMACSignature', () => {
  it('accepts every body signed with calculateHmac, for any of the active keys', () => {
    fc.assert(
      fc.property(keyArb, keyArb, bodyArb, (key, other, body) => {
        const headers = { HmacSignature: validator.calculateHmac(body, key), Protocol: 'HmacSHA256' };
        assert.equal(sdkAcceptsPlatform(body, headers.HmacSignature, key), true);
        assert.equal(oursAcceptsPlatform(body, headers, [key]), true);
        assert.equal(oursAcceptsPlatform(body, headers, [other, key]), true);
      }),
      { numRuns: RUNS },
    );
  });

  it('judges mutated bodies, keys and signatures like the SDK', () => {
    fc.assert(
      fc.property(keyArb, bodyArb, platformMutationArb, (key, original, mutation) => {
        let body = original;
        let receiverKey = key;
        let signature = validator.calculateHmac(original, key);
        const headers: Record<string, string> = { Protocol: 'HmacSHA256' };
        switch (mutation.kind) {
          case 'none':
            break;
          case 'body':
            body = insertAt(body, mutation.at, mutation.text);
            break;
          case 'key':
            receiverKey = otherKey(key, mutation.at);
            break;
          case 'signature':
            signature = replaceCharAt(signature, mutation.at % 43, mutation.char);
            break;
          case 'unpadded':
            signature = signature.replace(/=+$/, '');
            break;
          case 'base64url':
            signature = Buffer.from(signature, 'base64').toString('base64url');
            break;
          case 'hex':
            signature = Buffer.from(signature, 'base64').toString('hex');
            break;
          case 'no-protocol':
            delete headers.Protocol;
            break;
        }
        headers.HmacSignature = signature;
        assert.equal(
          oursAcceptsPlatform(body, headers, [receiverKey]),
          sdkAcceptsPlatform(body, signature, receiverKey),
        );
      }),
      { numRuns: RUNS },
    );
  });
});

describe('adyen: intended differences (ours is stricter)', () => {
  const key = '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056';
  // Adyen's documented worked example.
  const item: Item = {
    pspReference: '7914073381342284',
    originalReference: '',
    merchantAccountCode: 'TestMerchant',
    merchantReference: 'TestPayment-1407325143704',
    amount: { value: 1130, currency: 'EUR' },
    eventCode: 'AUTHORISATION',
    success: 'true',
    eventDate: '2019-05-06T17:15:34.121+02:00',
  };
  const signature = validator.calculateHmac(item as unknown as SdkItem, key);
  const platformBody =
    '{"type":"balancePlatform.accountHolder.created","data":{"id":"AH3227C223222B5GG3LZ2HNL9"}}';
  const platformSignature = validator.calculateHmac(platformBody, key);

  it('signatures with characters outside base64 or trailing junk', () => {
    // Node's base64 decoder skips characters it does not know and stops at padding; ours takes only
    // well-formed base64 (or base64url).
    assert.equal(signature, 'coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0=');
    for (const sloppy of [
      ` ${signature}`,
      `${signature.slice(0, 10)}\n${signature.slice(10)}`,
      `${signature.slice(0, 10)}!${signature.slice(10)}`,
      `${signature}A`,
      signature.replace('/', '_'),
    ]) {
      const body = notification([{ ...item, additionalData: { hmacSignature: sloppy } }]);
      assert.equal(sdkAcceptsStandard(body, key), true, JSON.stringify(sloppy));
      assert.equal(oursAcceptsStandard(body, [key]), false, JSON.stringify(sloppy));
    }
    const sloppyPlatform = `${platformSignature.slice(0, 10)}!${platformSignature.slice(10)}`;
    assert.equal(sdkAcceptsPlatform(platformBody, sloppyPlatform, key), true);
    assert.equal(oursAcceptsPlatform(platformBody, { HmacSignature: sloppyPlatform }, [key]), false);
  });

  it('a Protocol header other than HmacSHA256', () => {
    // The SDK never sees the header; ours refuses a signature declared as another algorithm.
    assert.equal(sdkAcceptsPlatform(platformBody, platformSignature, key), true);
    const headers = { HmacSignature: platformSignature, Protocol: 'HmacSHA1' };
    assert.equal(oursAcceptsPlatform(platformBody, headers, [key]), false);
  });

  it('keys that are not exactly hex', () => {
    // Buffer.from(key, 'hex') stops at the first non-hex character and drops an odd last digit.
    const body = notification([signed(item, key)]);
    for (const malformed of [`${key}zz`, `${key}F`]) {
      assert.equal(sdkAcceptsStandard(body, malformed), true, malformed);
      assert.equal(oursAcceptsStandard(body, [malformed]), false, malformed);
      assert.equal(sdkAcceptsPlatform(platformBody, platformSignature, malformed), true, malformed);
      assert.equal(
        oursAcceptsPlatform(platformBody, { HmacSignature: platformSignature }, [malformed]),
        false,
        malformed,
      );
    }
  });
});

describe('adyen: formerly reported cases, now rejected by ours as by the SDK', () => {
  const key = '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056';
  const signedString = (...fields: string[]) => validator.calculateHmac(fields.join(':'), key);

  it('an item without amount, signed with empty amount fields', () => {
    const item: Item = {
      pspReference: '7914073381342284',
      merchantAccountCode: 'TestMerchant',
      merchantReference: 'TestPayment-1407325143704',
      eventCode: 'REPORT_AVAILABLE',
      success: 'true',
    };
    const hmacSignature = signedString(
      '7914073381342284',
      '',
      'TestMerchant',
      'TestPayment-1407325143704',
      '',
      '',
      'REPORT_AVAILABLE',
      'true',
    );
    const body = notification([{ ...item, additionalData: { hmacSignature } }]);
    // The SDK throws reading amount.value.
    assert.equal(sdkAcceptsStandard(body, key), false);
    assert.equal(oursAcceptsStandard(body, [key]), false);
  });

  it('a signed field sent as a JSON object, signed as the empty string', () => {
    const item: Item = {
      pspReference: { injected: true },
      merchantAccountCode: 'TestMerchant',
      merchantReference: 'TestPayment-1407325143704',
      amount: { value: 1130, currency: 'EUR' },
      eventCode: 'AUTHORISATION',
      success: 'true',
    };
    const fields = ['TestMerchant', 'TestPayment-1407325143704', '1130', 'EUR', 'AUTHORISATION', 'true'];
    const overEmpty = notification([
      { ...item, additionalData: { hmacSignature: signedString('', '', ...fields) } },
    ]);
    assert.equal(sdkAcceptsStandard(overEmpty, key), false);
    assert.equal(oursAcceptsStandard(overEmpty, [key]), false);

    // Intended differences: the SDK signs a non-scalar as its String form (an object as "[object Object]",
    // an array as its elements joined with commas, so [] as ""); ours refuses any non-scalar.
    for (const [value, text] of [
      [{ injected: true }, '[object Object]'],
      [[], ''],
      [['7914073381342284'], '7914073381342284'],
    ] as const) {
      const body = notification([
        {
          ...item,
          pspReference: value,
          additionalData: { hmacSignature: signedString(text, '', ...fields) },
        },
      ]);
      assert.equal(sdkAcceptsStandard(body, key), true, JSON.stringify(value));
      assert.equal(oursAcceptsStandard(body, [key]), false, JSON.stringify(value));
    }
  });

  it('agrees on scalars: null as "", booleans and numbers through String', () => {
    const base: Item = {
      pspReference: '7914073381342284',
      merchantAccountCode: 'TestMerchant',
      merchantReference: 'TestPayment-1407325143704',
      amount: { value: 1130, currency: 'EUR' },
      eventCode: 'AUTHORISATION',
      success: 'true',
    };
    for (const item of [
      { ...base, originalReference: null },
      { ...base, success: true },
      { ...base, merchantReference: 42.5 },
      { ...base, amount: { value: '1130', currency: 'EUR' } },
    ]) {
      const body = notification([signed(item, key)]);
      assert.equal(sdkAcceptsStandard(body, key), true, JSON.stringify(item));
      assert.equal(oursAcceptsStandard(body, [key]), true, JSON.stringify(item));
    }
  });
});
