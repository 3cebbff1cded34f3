/**
 * Twilio's form-encoded requests: the POST parameters, decoded by the WHATWG URL standard's urlencoded
 * parser (what `new URLSearchParams` implements), and the bytes Twilio signs from them (every
 * `name + value`, names sorted; a repeated name contributes each distinct value once, values sorted:
 * twilio-node's `getExpectedTwilioSignature`).
 *
 * Why not simply `new URLSearchParams(body.toString())`: it decodes character by character into strings,
 * and the signed text must then be encoded back into bytes; for a real 2 KB callback that is several times
 * the HMAC itself, and milliseconds at 256 KB (bench/verify.ts). Here the body stays bytes. The WHATWG
 * rule URLSearchParams follows is itself byte-level: split on `&` and `=`, turn `+` into a space,
 * percent-decode (a `%` without two hex digits stays as it is), then decode UTF-8. `&`, `=`, `+` and `%`
 * never occur inside a multi-byte UTF-8 sequence, so splitting and decoding the bytes gives the bytes of
 * URLSearchParams' strings, which are what Twilio signs, whenever they are valid UTF-8; when they are not,
 * the component is decoded to text with U+FFFD, as the standard says. test/unit/providers/twilio-form.test.ts
 * checks this against a transcription of the standard and against URLSearchParams on generated forms.
 */
import { isUtf8 } from 'node:buffer';

/** A parameter value: decoded text, or the raw bytes of a value without escapes (the same UTF-8). */
export type FormValue = string | Buffer;

/** Decoded form parameters in arrival order, names to every value received. */
export type FormParams = Map<string, FormValue[]>;

const AMPERSAND = 0x26;
const EQUALS = 0x3d;
const PERCENT = 0x25;
const PLUS = 0x2b;
const QUESTION_MARK = 0x3f;
const EMPTY = Buffer.alloc(0);

/** A leading UTF-8 byte order mark, which a fatal TextDecoder drops. */
function bomLength(body: Buffer): number {
  return body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
}

/** Where the form text starts: after a byte order mark, then after one `?` (URLSearchParams drops it). */
function textStart(body: Buffer): number {
  const bom = bomLength(body);
  return body[bom] === QUESTION_MARK ? bom + 1 : bom;
}

/**
 * `body.indexOf(byte, from)`, remembered: each search resumes where the last one stopped, so finding every
 * `=`, `%` or `+` costs one pass over the body however many pairs it has.
 */
class ByteFinder {
  private found = -1;

  constructor(
    private readonly body: Buffer,
    private readonly byte: number,
  ) {}

  /** The first position of the byte at or after `from`, or the body's length. */
  next(from: number): number {
    if (this.found < from) {
      const at = this.body.indexOf(this.byte, from);
      this.found = at === -1 ? this.body.length : at;
    }
    return this.found;
  }
}

function firstEscape(percent: ByteFinder, plus: ByteFinder, from: number): number {
  return Math.min(percent.next(from), plus.next(from));
}

/** Hex digit values by byte, -1 for bytes that are not hex digits. */
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let digit = 0; digit < 16; digit++) {
  const text = digit.toString(16);
  HEX_VALUE[text.charCodeAt(0)] = digit;
  HEX_VALUE[text.toUpperCase().charCodeAt(0)] = digit;
}

/**
 * Decodes body[start, end) into `out` from `at`: `+` as a space, `%XX` as its byte, anything else (a `%`
 * without two hex digits included) as it is. Returns where the writing stopped.
 */
function percentDecodeInto(body: Buffer, start: number, end: number, out: Buffer, at: number): number {
  let written = at;
  let i = start;
  while (i < end) {
    const byte = body[i] as number;
    if (byte === PERCENT && i + 2 < end) {
      const high = HEX_VALUE[body[i + 1] as number] as number;
      const low = HEX_VALUE[body[i + 2] as number] as number;
      if ((high | low) >= 0) {
        out[written++] = (high << 4) | low;
        i += 3;
        continue;
      }
    }
    out[written++] = byte === PLUS ? 0x20 : byte;
    i++;
  }
  return written;
}

function addParam(params: FormParams, name: string, value: FormValue): void {
  const values = params.get(name);
  if (values) values.push(value);
  else params.set(name, [value]);
}

/** Decodes UTF-8 as URLSearchParams must: invalid sequences become U+FFFD, a byte order mark stays. */
const lenientUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * One component (name or value): a view of the body when it has no escapes; else decoded into `scratch`
 * from `at`, as bytes when they are UTF-8 and otherwise as the text URLSearchParams makes of them.
 */
function component(
  body: Buffer,
  start: number,
  end: number,
  escaped: boolean,
  scratch: Buffer,
  at: number,
): FormValue {
  if (!escaped) return body.subarray(start, end);
  const decoded = scratch.subarray(at, percentDecodeInto(body, start, end, scratch, at));
  return isUtf8(decoded) ? decoded : lenientUtf8.decode(decoded);
}

/**
 * The body's parameters, decoded as the WHATWG URL standard's `application/x-www-form-urlencoded` parser
 * decodes `new TextDecoder('utf-8', { fatal: true }).decode(body)` (what `new URLSearchParams` does, save
 * for a Node quirk noted in the tests); undefined when the body is not UTF-8.
 */
export function parseForm(body: Buffer): FormParams | undefined {
  if (!isUtf8(body)) return undefined;
  const params: FormParams = new Map();
  const equals = new ByteFinder(body, EQUALS);
  const percent = new ByteFinder(body, PERCENT);
  const plus = new ByteFinder(body, PLUS);
  // Decoded components never outgrow their encoded bytes; each takes the next free stretch of this.
  let scratch: Buffer | undefined;
  let used = 0;
  const decode = (from: number, to: number, escaped: boolean): FormValue => {
    if (escaped && !scratch) scratch = Buffer.allocUnsafe(body.length);
    const decoded = component(body, from, to, escaped, scratch ?? body, used);
    if (escaped) used += to - from;
    return decoded;
  };
  let start = textStart(body);
  while (start < body.length) {
    const ampersand = body.indexOf(AMPERSAND, start);
    const end = ampersand === -1 ? body.length : ampersand;
    if (end > start) {
      const eq = Math.min(equals.next(start), end);
      const name = decode(start, eq, firstEscape(percent, plus, start) < eq);
      const value = eq < end ? decode(eq + 1, end, firstEscape(percent, plus, eq + 1) < end) : EMPTY;
      addParam(params, typeof name === 'string' ? name : name.toString('utf8'), value);
    }
    start = end + 1;
  }
  return params;
}

/** The first non-empty value among `names`, as text. */
export function formValue(params: FormParams, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = params.get(name)?.[0];
    const text = typeof value === 'string' ? value : value?.toString('utf8');
    if (text !== undefined && text !== '') return text;
  }
  return undefined;
}

/** The distinct values of a repeated name, sorted as twilio-node sorts them (as strings). */
function signedValues(values: readonly FormValue[]): readonly FormValue[] {
  if (values.length < 2) return values;
  return [
    ...new Set(values.map((value) => (typeof value === 'string' ? value : value.toString('utf8')))),
  ].sort();
}

/**
 * What Twilio signs, as bytes: `url` (the one most likely signed) followed by the parameters; the
 * parameters alone are `subarray(Buffer.byteLength(url))`. One buffer, so the HMAC takes one update.
 */
export function signedFormBytes(params: FormParams, url = ''): Buffer {
  const names = [...params.keys()].sort();
  const values: (readonly FormValue[])[] = new Array(names.length);
  let length = Buffer.byteLength(url, 'utf8');
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    const signed = signedValues(params.get(name) ?? []);
    values[i] = signed;
    const nameLength = Buffer.byteLength(name, 'utf8');
    for (const value of signed) {
      length += nameLength + (typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length);
    }
  }
  // Fully written below: every byte of it comes from the URL, a name or a value.
  const out = Buffer.allocUnsafe(length);
  let at = out.write(url, 0, 'utf8');
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    for (const value of values[i] ?? []) {
      at += out.write(name, at, 'utf8');
      at += typeof value === 'string' ? out.write(value, at, 'utf8') : value.copy(out, at);
    }
  }
  return out;
}

/** The same parameter string as text, for parameters already held as strings (tests, signers). */
export function twilioParamString(params: ReadonlyMap<string, readonly string[]>): string {
  let out = '';
  for (const name of [...params.keys()].sort()) {
    const values = params.get(name) ?? [];
    const distinct = values.length > 1 ? [...new Set(values)].sort() : values;
    for (const value of distinct) out += name + value;
  }
  return out;
}
