/**
 * The byte-level form parser must decode exactly what `new URLSearchParams(text)` decodes (the reference
 * the Twilio scheme used before, and what twilio-node's users parse with), and sign exactly what
 * `twilioParamString` builds from those strings.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type FormParams,
  formValue,
  parseForm,
  signedFormBytes,
  twilioParamString,
} from '../../../lambdas/providers/twilio-form';

/** What the scheme did before: a fatal UTF-8 decode (BOM dropped), then URLSearchParams. */
function reference(body: Buffer): Map<string, string[]> | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return undefined;
  }
  const params = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(text)) {
    const values = params.get(name);
    if (values) values.push(value);
    else params.set(name, [value]);
  }
  return params;
}

function asText(params: FormParams | undefined): Map<string, string[]> | undefined {
  if (!params) return undefined;
  return new Map(
    [...params].map(([name, values]) => [
      name,
      values.map((v) => (typeof v === 'string' ? v : v.toString('utf8'))),
    ]),
  );
}

/** Pieces that exercise every branch: escapes valid and not, UTF-8 raw and escaped, separators, BOM, `?`. */
const PIECES = [
  'a',
  'b',
  'Body',
  'Z9',
  '=',
  '&',
  '&&',
  '+',
  '%',
  '%2',
  '%2B',
  '%2b',
  '%20',
  '%41',
  '%3D',
  '%26',
  '%C3%A9',
  '%c3%a9',
  '%E2%82%AC',
  '%F0%9F%98%80',
  '%C3',
  '%ED%A0%80',
  '%C0%80',
  '%F4%90%80%80',
  '%FF',
  '%EF%BB%BF',
  '%G1',
  'é',
  '€',
  '😀',
  '?',
  '\uFEFF',
  ' ',
  '#',
];

const formText = fc.array(fc.constantFrom(...PIECES), { maxLength: 24 }).map((pieces) => pieces.join(''));

describe('twilio form parsing', () => {
  it('decodes generated forms exactly as URLSearchParams does', () => {
    fc.assert(
      fc.property(formText, fc.boolean(), (text, bom) => {
        const body = Buffer.concat([
          bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0),
          Buffer.from(text),
        ]);
        assert.deepEqual(asText(parseForm(body)), reference(body));
      }),
      { numRuns: 2000 },
    );
  });

  it('signs generated forms exactly as the string reference does', () => {
    fc.assert(
      fc.property(formText, (text) => {
        const body = Buffer.from(text);
        const params = parseForm(body);
        const expected = reference(body);
        assert.ok(params && expected);
        assert.equal(signedFormBytes(params).toString('utf8'), twilioParamString(expected));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses exactly the bodies a fatal UTF-8 decoder refuses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const body = Buffer.from(bytes);
        assert.equal(parseForm(body) === undefined, reference(body) === undefined);
        if (reference(body)) assert.deepEqual(asText(parseForm(body)), reference(body));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps escape-free values as slices of the body and decodes the rest', () => {
    const body = Buffer.from('To=%2B15551234567&Body=Hello+world&MessageSid=SM1&Empty=&Flag');
    const params = parseForm(body);
    assert.ok(params);
    assert.ok(Buffer.isBuffer(params.get('MessageSid')?.[0]));
    assert.equal(formValue(params, 'To'), '+15551234567');
    assert.equal(formValue(params, 'Body'), 'Hello world');
    assert.equal(formValue(params, 'Empty', 'MessageSid'), 'SM1');
    assert.deepEqual(asText(params)?.get('Flag'), ['']);
  });

  it('signs a repeated name once per distinct value, values sorted', () => {
    const params = parseForm(Buffer.from('b=2&a=z&a=y&a=z'));
    assert.ok(params);
    assert.equal(signedFormBytes(params).toString('utf8'), 'ayazb2');
  });

  it('finds every pair of a form with many pairs and a late escape in one pass', () => {
    // Each search resumes where the last stopped: 20,000 pairs and one `%` at the end stay linear.
    const body = Buffer.from(`${'k=v&'.repeat(20_000)}last=%41`);
    const params = parseForm(body);
    assert.deepEqual(params?.get('k')?.length, 20_000);
    assert.equal(params && formValue(params, 'last'), 'A');
  });
});
