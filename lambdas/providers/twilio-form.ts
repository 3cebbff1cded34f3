/**
 * Twilio's form-encoded requests: the POST parameters, decoded exactly as `new URLSearchParams` decodes the
 * body text, and the bytes Twilio signs from them (every `name + value`, names sorted; a repeated name
 * contributes each distinct value once, values sorted: twilio-node's `getExpectedTwilioSignature`).
 *
 * Why not simply `new URLSearchParams(body.toString())`: at 256 KB, turning the body into a string and the
 * signed text back into bytes cost over 2 ms, ten times the HMAC itself (bench/verify.ts). Here the body
 * stays bytes: `&` and `=` cannot occur inside a multi-byte UTF-8 sequence, so the pairs are found on the
 * bytes; a component without `%` or `+` is its own UTF-8 and is copied as is; one with escapes is decoded
 * with `decodeURIComponent`, which whenever it succeeds gives what URLSearchParams gives (the WHATWG rule:
 * percent-decode the bytes, then decode UTF-8). Anything it refuses (a stray `%`, escapes that are not
 * UTF-8) sends the whole body to URLSearchParams itself. test/unit/providers/twilio-form.test.ts checks the
 * two agree on generated forms.
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

/** A component with escapes, decoded as URLSearchParams does; undefined when only its fallback applies. */
function decodeEscaped(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}

function addParam(params: FormParams, name: string, value: FormValue): void {
  const values = params.get(name);
  if (values) values.push(value);
  else params.set(name, [value]);
}

/** The reference decoding, for bodies with escapes `decodeURIComponent` refuses. */
function paramsOfText(text: string): FormParams {
  const params: FormParams = new Map();
  for (const [name, value] of new URLSearchParams(text)) addParam(params, name, value);
  return params;
}

/**
 * The body's parameters, decoded exactly as `new URLSearchParams(new TextDecoder('utf-8', { fatal: true })
 * .decode(body))` decodes them; undefined when the body is not UTF-8.
 */
export function parseForm(body: Buffer): FormParams | undefined {
  if (!isUtf8(body)) return undefined;
  const params: FormParams = new Map();
  const equals = new ByteFinder(body, EQUALS);
  const percent = new ByteFinder(body, PERCENT);
  const plus = new ByteFinder(body, PLUS);
  let start = textStart(body);
  while (start < body.length) {
    const ampersand = body.indexOf(AMPERSAND, start);
    const end = ampersand === -1 ? body.length : ampersand;
    if (end > start) {
      const eq = Math.min(equals.next(start), end);
      const name = body.toString('utf8', start, eq);
      const decodedName = firstEscape(percent, plus, start) < eq ? decodeEscaped(name) : name;
      let value: FormValue | undefined = '';
      if (eq < end) {
        const escaped = firstEscape(percent, plus, eq + 1) < end;
        value = escaped ? decodeEscaped(body.toString('utf8', eq + 1, end)) : body.subarray(eq + 1, end);
      }
      if (decodedName === undefined || value === undefined) {
        return paramsOfText(body.toString('utf8', bomLength(body)));
      }
      addParam(params, decodedName, value);
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

function byteLength(part: FormValue): number {
  return typeof part === 'string' ? Buffer.byteLength(part, 'utf8') : part.length;
}

/** The parameter part of what Twilio signs (the URL comes first), as bytes. */
export function signedFormBytes(params: FormParams): Buffer {
  const parts: FormValue[] = [];
  for (const name of [...params.keys()].sort()) {
    for (const value of signedValues(params.get(name) ?? [])) parts.push(name, value);
  }
  let length = 0;
  for (const part of parts) length += byteLength(part);
  // Fully written below: every byte of it comes from a part.
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (const part of parts) at += typeof part === 'string' ? out.write(part, at, 'utf8') : part.copy(out, at);
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
