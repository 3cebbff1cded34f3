import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { adyen, adyenSigningString } from '../../../lambdas/providers/adyen';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

// Official vectors: Adyen's API libraries' HMAC tests (adyen-php-api-library HmacSignatureTest and the
// documented worked example).
const DOC_KEY = '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056';
const DOC_ITEM = {
  additionalData: { hmacSignature: 'coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0=' },
  amount: { value: 1130, currency: 'EUR' },
  pspReference: '7914073381342284',
  eventCode: 'AUTHORISATION',
  merchantAccountCode: 'TestMerchant',
  merchantReference: 'TestPayment-1407325143704',
  paymentMethod: 'visa',
  success: 'true',
};
const REFUND_ITEM = {
  pspReference: '7914073381342284',
  merchantAccountCode: 'TestMerchant',
  merchantReference: 'TestPayment-1407325143704',
  amount: { value: 0, currency: 'EUR' },
  eventCode: 'REFUND',
  success: 'true',
  additionalData: { hmacSignature: 'J7HhsgZo5KwqdB7LFZJV6rfQgp+RqC2kuYyw/3x3w+8=' },
};
const COLON_KEY = 'C56F00E99723D90F65254B00746844BED11BCDD0DD42B26EC980DC1301C6CD20';
const COLON_ITEM = {
  additionalData: { hmacSignature: 'ovT21mqdbQToGbWssIhnBXAlnkhgKuehtGwvYFf5h2Q=' },
  amount: { currency: 'EUR', value: 113000 },
  eventCode: 'AUTHORISATION',
  eventDate: '2020-01-08T12:00:00+01:00',
  merchantAccountCode: 'PHPApiLibrary',
  merchantReference: 'auth:123',
  originalReference: '',
  paymentMethod: 'visa',
  pspReference: 'TEST_CUSTOM_7914073381342284',
  reason: '',
  success: 'true',
};
const PLATFORM_KEY = 'D7DD5BA6146493707BF0BE7496F6404EC7A63616B7158EC927B9F54BB436765F';
const PLATFORM_BODY =
  '{"data":{"balancePlatform":"Integration_tools_test","accountId":"BA32272223222H5HVKTBK4MLB","sweep":{"id":"SWPC42272223222H5HVKV6H8C64DP5","schedule":{"type":"balance"},"status":"active","targetAmount":{"currency":"EUR","value":0},"triggerAmount":{"currency":"EUR","value":0},"type":"pull","counterparty":{"balanceAccountId":"BA3227C223222H5HVKT3H9WLC"},"currency":"EUR"}},"environment":"test","type":"balancePlatform.balanceAccountSweep.updated"}';
const PLATFORM_SIGNATURE = '9Qz9S/0xpar1klkniKdshxpAhRKbiSAewPpWoxKefQA=';

const notification = (...items: unknown[]) =>
  JSON.stringify({
    live: 'false',
    notificationItems: items.map((item) => ({ NotificationRequestItem: item })),
  });
const standard = (body: string, secrets = [DOC_KEY]) =>
  verifyWith(adyen, rawRequest({ body }), { secrets, nowMs: 0 });
const platform = (body: string, headers: Record<string, string>, secrets = [PLATFORM_KEY]) =>
  verifyWith(adyen, rawRequest({ body, headers }), { secrets, nowMs: 0, options: { variant: 'platform' } });
function signingStringOf(item: Record<string, unknown>): string {
  const signing = adyenSigningString(item);
  assert.ok(signing !== undefined, 'the item has a signing string');
  return signing;
}
const macOf = (signing: string, key: string) =>
  createHmac('sha256', Buffer.from(key, 'hex')).update(signing).digest('base64');
const withSignature = (item: Record<string, unknown>, key: string) => ({
  ...item,
  additionalData: { hmacSignature: macOf(signingStringOf(item), key) },
});

describe('adyen standard notifications', () => {
  it('accepts the official vectors (amount zero, colon in a value)', () => {
    assert.equal(
      adyenSigningString(DOC_ITEM),
      '7914073381342284::TestMerchant:TestPayment-1407325143704:1130:EUR:AUTHORISATION:true',
    );
    assert.deepEqual(standard(notification(DOC_ITEM)), { ok: true });
    assert.deepEqual(standard(notification(REFUND_ITEM)), { ok: true });
    assert.deepEqual(standard(notification(COLON_ITEM), [COLON_KEY]), { ok: true });
  });

  it('accepts any active key and lower-case hex keys', () => {
    assert.deepEqual(standard(notification(DOC_ITEM), [COLON_KEY, DOC_KEY.toLowerCase()]), { ok: true });
  });

  it('rejects the key used as text (wrong derivation), tampered fields and wrong keys', () => {
    const textKeyed = {
      ...DOC_ITEM,
      additionalData: {
        hmacSignature: createHmac('sha256', DOC_KEY).update(signingStringOf(DOC_ITEM)).digest('base64'),
      },
    };
    assertRejected(standard(notification(textKeyed)), 'signature_mismatch', [DOC_KEY]);
    assertRejected(
      standard(notification({ ...DOC_ITEM, amount: { value: 1131, currency: 'EUR' } })),
      'signature_mismatch',
    );
    assertRejected(standard(notification({ ...DOC_ITEM, success: 'false' })), 'signature_mismatch');
    assertRejected(standard(notification(DOC_ITEM), [COLON_KEY]), 'signature_mismatch');
  });

  it('requires every item to verify', () => {
    const second = withSignature(
      { ...DOC_ITEM, pspReference: '8814073381342285', eventCode: 'CAPTURE' },
      DOC_KEY,
    );
    assert.deepEqual(standard(notification(DOC_ITEM, second)), { ok: true });
    assertRejected(
      standard(notification(DOC_ITEM, { ...second, eventCode: 'REFUND' })),
      'signature_mismatch',
    );
  });

  it('rejects missing and malformed signatures, bodies and keys', () => {
    assertRejected(standard(notification({ ...DOC_ITEM, additionalData: {} })), 'missing_signature');
    assertRejected(
      standard(notification({ ...DOC_ITEM, additionalData: { hmacSignature: 'abc' } })),
      'malformed_signature',
    );
    assertRejected(standard('{"notificationItems":[]}'), 'malformed_body');
    assertRejected(standard('not json'), 'malformed_body');
    assertRejected(standard(''), 'empty_body');
    assertRejected(standard(notification(DOC_ITEM), ['not-hex']), 'invalid_secret_config');
    assertRejected(standard(notification(DOC_ITEM), []), 'no_active_secret');
  });

  it('rejects items without an amount object, even when signed with empty amount fields', () => {
    const { amount: _, ...noAmount } = DOC_ITEM;
    const emptyAmount = '7914073381342284::TestMerchant:TestPayment-1407325143704:::AUTHORISATION:true';
    for (const amount of [undefined, null, [], 'EUR 1130', 1130]) {
      const item = { ...noAmount, ...(amount === undefined ? {} : { amount }) };
      assert.equal(adyenSigningString(item), undefined);
      const body = notification({ ...item, additionalData: { hmacSignature: macOf(emptyAmount, DOC_KEY) } });
      assertRejected(standard(body), 'malformed_body');
    }
    // Present but empty: both amount fields are signed as "".
    assert.deepEqual(standard(notification(withSignature({ ...DOC_ITEM, amount: {} }, DOC_KEY))), {
      ok: true,
    });
  });

  it('rejects signed fields that are not strings, finite numbers or booleans', () => {
    // A signature over an empty field must not vouch for an object put in its place.
    const emptyPsp = '::TestMerchant:TestPayment-1407325143704:1130:EUR:AUTHORISATION:true';
    for (const injected of [{ injected: true }, [], ['7914073381342284'], {}]) {
      const item = { ...DOC_ITEM, pspReference: injected };
      assert.equal(adyenSigningString(item), undefined);
      const body = notification({ ...item, additionalData: { hmacSignature: macOf(emptyPsp, DOC_KEY) } });
      assertRejected(standard(body), 'malformed_body');
    }
    for (const item of [
      { ...DOC_ITEM, amount: { value: { cents: 1130 }, currency: 'EUR' } },
      { ...DOC_ITEM, amount: { value: 1130, currency: ['EUR'] } },
      { ...DOC_ITEM, success: { value: true } },
    ]) {
      assert.equal(adyenSigningString(item), undefined);
    }
    // JSON's 1e400 parses to Infinity, which the SDK would sign as "Infinity".
    const infinite = notification(DOC_ITEM).replace('"value":1130', '"value":1e400');
    assertRejected(standard(infinite), 'malformed_body');
  });

  it('signs scalars as the SDK joins them: null as "", numbers and booleans through String', () => {
    assert.equal(
      adyenSigningString({ ...DOC_ITEM, originalReference: null, success: true }),
      '7914073381342284::TestMerchant:TestPayment-1407325143704:1130:EUR:AUTHORISATION:true',
    );
    for (const item of [
      { ...DOC_ITEM, originalReference: null },
      { ...DOC_ITEM, success: false },
      { ...DOC_ITEM, merchantReference: 42.5 },
    ]) {
      assert.deepEqual(standard(notification(withSignature(item, DOC_KEY))), { ok: true });
    }
  });

  it('extracts one event per item with pspReference:eventCode', () => {
    const second = withSignature({ ...COLON_ITEM, eventCode: 'CAPTURE' }, COLON_KEY);
    const extraction = adyen.extract(rawRequest({ body: notification(COLON_ITEM, second) }), {});
    assert.ok(extraction.ok);
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [
        ['TEST_CUSTOM_7914073381342284:AUTHORISATION', 'AUTHORISATION', '2020-01-08T11:00:00.000Z'],
        ['TEST_CUSTOM_7914073381342284:CAPTURE', 'CAPTURE', '2020-01-08T11:00:00.000Z'],
      ],
    );
  });
});

describe('adyen platform webhooks', () => {
  it('accepts the official banking-webhook vector', () => {
    assert.deepEqual(platform(PLATFORM_BODY, { HmacSignature: PLATFORM_SIGNATURE, Protocol: 'HmacSHA256' }), {
      ok: true,
    });
    assert.deepEqual(
      platform(PLATFORM_BODY, { HmacSignature: PLATFORM_SIGNATURE }, [DOC_KEY, PLATFORM_KEY]),
      {
        ok: true,
      },
    );
  });

  it('rejects tampering, wrong keys, unknown protocols and missing headers', () => {
    assertRejected(
      platform(`${PLATFORM_BODY} `, { HmacSignature: PLATFORM_SIGNATURE }),
      'signature_mismatch',
    );
    assertRejected(
      platform(PLATFORM_BODY, { HmacSignature: PLATFORM_SIGNATURE }, [DOC_KEY]),
      'signature_mismatch',
    );
    assertRejected(
      platform(PLATFORM_BODY, { HmacSignature: PLATFORM_SIGNATURE, Protocol: 'HmacSHA1' }),
      'unsupported_signature_version',
    );
    assertRejected(platform(PLATFORM_BODY, {}), 'missing_signature');
    assertRejected(platform(PLATFORM_BODY, { HmacSignature: 'zz' }), 'malformed_signature');
  });

  it('validates the variant option and extracts type', () => {
    assert.deepEqual(adyen.validateOptions?.({ variant: 'platform' }), []);
    assert.equal(adyen.validateOptions?.({ variant: 'classic' }).length, 1);
    const extraction = adyen.extract(rawRequest({ body: PLATFORM_BODY }), { variant: 'platform' });
    assert.ok(extraction.ok);
    assert.equal(extraction.events[0]?.eventType, 'balancePlatform.balanceAccountSweep.updated');
  });
});
