/**
 * The byte-level form parser must decode what the WHATWG URL standard's urlencoded parser decodes (the
 * rule URLSearchParams implements, transcribed below on bytes), agree with Node's URLSearchParams wherever
 * Node follows it, and sign exactly what `twilioParamString` builds from those strings.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type FormParams,
  formValue,
  parseForm,
  signedBodyBytes,
  signedFormBytes,
  twilioParamString,
} from '../../../lambdas/providers/twilio-form';

type TextParams = Map<string, string[]>;

function add(params: TextParams, name: string, value: string): void {
  const values = params.get(name);
  if (values) values.push(value);
  else params.set(name, [value]);
}

/** The body as the scheme reads it: a fatal UTF-8 decode (a leading BOM dropped), or undefined. */
function bodyText(body: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return undefined;
  }
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/** WHATWG URL, "application/x-www-form-urlencoded parsing", step by step on the UTF-8 bytes. */
function whatwg(body: Buffer): TextParams | undefined {
  const text = bodyText(body);
  if (text === undefined) return undefined;
  // URLSearchParams' constructor drops one leading "?" before parsing.
  const bytes = Buffer.from(text.startsWith('?') ? text.slice(1) : text, 'utf8');
  const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
  const percentDecode = (input: Buffer): string => {
    const out: number[] = [];
    for (let i = 0; i < input.length; i++) {
      const byte = input[i] === 0x2b ? 0x20 : (input[i] as number);
      const hex = input.subarray(i + 1, i + 3).toString('latin1');
      if (byte === 0x25 && HEX.test(hex)) {
        out.push(Number.parseInt(hex, 16));
        i += 2;
      } else out.push(byte);
    }
    return utf8.decode(Uint8Array.from(out));
  };
  const params: TextParams = new Map();
  let start = 0;
  while (start <= bytes.length) {
    const amp = bytes.indexOf(0x26, start);
    const end = amp === -1 ? bytes.length : amp;
    if (end > start) {
      const sequence = bytes.subarray(start, end);
      const eq = sequence.indexOf(0x3d);
      const name = eq === -1 ? sequence : sequence.subarray(0, eq);
      const value = eq === -1 ? Buffer.alloc(0) : sequence.subarray(eq + 1);
      add(params, percentDecode(name), percentDecode(value));
    }
    start = end + 1;
  }
  return params;
}

/** Node's URLSearchParams over the same text. */
function urlSearchParams(body: Buffer): TextParams | undefined {
  const text = bodyText(body);
  if (text === undefined) return undefined;
  const params: TextParams = new Map();
  for (const [name, value] of new URLSearchParams(text)) add(params, name, value);
  return params;
}

/**
 * Node's one departure from the standard: when `decodeURIComponent` refuses a component (a stray `%`,
 * escapes that are not UTF-8), Node re-decodes the string by char codes, truncating every non-ASCII
 * character to one byte.
 */
function nodeQuirkApplies(text: string): boolean {
  const components = text.split('&').flatMap((pair) => {
    const eq = pair.indexOf('=');
    return eq === -1 ? [pair] : [pair.slice(0, eq), pair.slice(eq + 1)];
  });
  return components.some((component) => {
    if (![...component].some((char) => (char.codePointAt(0) ?? 0) > 0x7f)) return false;
    try {
      decodeURIComponent(component.replaceAll('+', ' '));
      return false;
    } catch {
      return true;
    }
  });
}

function asText(params: FormParams | undefined): TextParams | undefined {
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
  '%A9',
  '%ED%A0%80',
  '%C0%80',
  '%F4%90%80%80',
  '%FF',
  '%EF%BB%BF',
  '%G1',
  'é',
  '€',
  '😀',
  // After '😀' in UTF-8 byte order, before it in UTF-16 order (which twilio-node sorts by).
  '\uE000',
  '%EE%80%80',
  '?',
  // Longer than the values the parser's loop decodes itself (64 bytes) before handing the rest to native searches.
  'x'.repeat(100),
  'é'.repeat(40),
  '\uFEFF',
  ' ',
  '#',
];

const formText = fc.array(fc.constantFrom(...PIECES), { maxLength: 24 }).map((pieces) => pieces.join(''));

describe('twilio form parsing', () => {
  it('decodes generated forms as the WHATWG standard does, and as URLSearchParams wherever Node follows it', () => {
    fc.assert(
      fc.property(formText, fc.boolean(), (text, bom) => {
        const body = Buffer.concat([
          bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0),
          Buffer.from(text),
        ]);
        const parsed = asText(parseForm(body));
        assert.deepEqual(parsed, whatwg(body));
        if (!nodeQuirkApplies(text)) assert.deepEqual(parsed, urlSearchParams(body));
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps a character next to a stray % intact, as the standard says (Node mangles it)', () => {
    const body = Buffer.from('%€%3D=1');
    assert.deepEqual(asText(parseForm(body)), new Map([['%€=', ['1']]]));
    assert.notDeepEqual(urlSearchParams(body), asText(parseForm(body)));
  });

  it('decodes escapes that are not UTF-8 to U+FFFD, as URLSearchParams does', () => {
    const body = Buffer.from('a=%FF%C3&b=%ED%A0%80');
    const parsed = asText(parseForm(body));
    assert.deepEqual(parsed, urlSearchParams(body));
    assert.deepEqual(parsed?.get('a'), ['\uFFFD\uFFFD']);
  });

  it('signs generated forms exactly as the string reference does', () => {
    fc.assert(
      fc.property(formText, (text) => {
        const body = Buffer.from(text);
        const params = parseForm(body);
        const expected = whatwg(body);
        assert.ok(params && expected);
        assert.equal(signedFormBytes(params).toString('utf8'), twilioParamString(expected));
      }),
      { numRuns: 2000 },
    );
  });

  it('signs bodies directly exactly as the string reference signs their parameters', () => {
    fc.assert(
      fc.property(
        formText,
        fc.boolean(),
        fc.constantFrom('', 'https://example.com/sms?x=é'),
        (text, bom, url) => {
          const body = Buffer.concat([
            bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0),
            Buffer.from(text),
          ]);
          const expected = whatwg(body);
          assert.ok(expected);
          assert.equal(signedBodyBytes(body, url)?.toString('utf8'), url + twilioParamString(expected));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('signs a real SMS callback as twilio-node builds it (ASCII names sorted, escapes decoded)', () => {
    const fields = {
      To: '+15005550006',
      Body: 'Running late, see you at 5pm? Bring 2 cafés & the crème brûlée!',
      MessageSid: 'SM1',
      AccountSid: 'AC1',
      From: '+14155551234',
      NumMedia: '0',
    };
    const body = Buffer.from(new URLSearchParams(fields).toString());
    const url = 'https://hooks.example.com/twilio';
    const expected = Object.keys(fields)
      .sort()
      .map((name) => name + fields[name as keyof typeof fields])
      .join('');
    assert.equal(signedBodyBytes(body, url)?.toString('utf8'), url + expected);
  });

  it('decodes each component on its own when a character straddles `=` or `&`', () => {
    // The decoded bytes C3 A9 are "é" together, but a name "%C3" and a value "%A9" are U+FFFD each.
    for (const text of ['%C3=%A9', '%C3&%A9', 'a=%C3&b=%A9']) {
      const body = Buffer.from(text);
      assert.deepEqual(asText(parseForm(body)), whatwg(body));
      assert.equal(signedBodyBytes(body, '')?.toString('utf8'), twilioParamString(whatwg(body) ?? new Map()));
    }
  });

  it('hands the rest of a long value to native searches exactly where the value goes on', () => {
    for (let run = 60; run <= 70; run++) {
      for (const next of ['', '&b=2', '=x', '%41', '+', '%', '%4', 'é', '%C3%A9']) {
        const body = Buffer.from(`a=${'x'.repeat(run)}${next}&c=${'y'.repeat(run)}&${'n'.repeat(run)}=1`);
        assert.deepEqual(asText(parseForm(body)), whatwg(body), `${run} plain bytes then ${next}`);
        assert.equal(
          signedBodyBytes(body, '')?.toString('utf8'),
          twilioParamString(whatwg(body) ?? new Map()),
        );
      }
    }
  });

  it('refuses to sign a body that is not UTF-8', () => {
    assert.equal(signedBodyBytes(Buffer.from([0x61, 0x3d, 0xff]), 'https://example.com'), undefined);
  });

  it('refuses exactly the bodies a fatal UTF-8 decoder refuses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const body = Buffer.from(bytes);
        assert.equal(parseForm(body) === undefined, whatwg(body) === undefined);
        if (whatwg(body)) assert.deepEqual(asText(parseForm(body)), whatwg(body));
      }),
      { numRuns: 2000 },
    );
  });

  it('holds values as bytes and decodes escapes', () => {
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
