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
 *
 * The body is decoded in one pass of a plain loop into one buffer where each pair's name is followed by its
 * value, so a pair's signed bytes (`name + value`) are one contiguous slice, and verification sorts and
 * copies slices (`signedBodyBytes`) without building strings. A loop beats Buffer#indexOf here: a real
 * callback has a separator or an escape every few bytes, and each native call costs more than the bytes it
 * would skip; only the rest of a long value goes to indexOf, then to a native copy or a leaner loop.
 */
import { isUtf8 } from 'node:buffer';

/** A parameter value: its decoded UTF-8 bytes, or text (with U+FFFD) where those bytes are not UTF-8. */
export type FormValue = string | Buffer;

/** Decoded form parameters in arrival order, names to every value received. */
export type FormParams = Map<string, FormValue[]>;

const AMPERSAND = 0x26;
const EQUALS = 0x3d;
const PERCENT = 0x25;
const PLUS = 0x2b;
const QUESTION_MARK = 0x3f;
const SPACE = 0x20;

/** What a byte means to the urlencoded parser; most are PLAIN and copied as they are. */
const PLAIN = 0;
const SEPARATOR = 1; // `&`
const EQUALS_SIGN = 2; // `=`
const ESCAPE = 3; // `%`
const SPACE_SIGN = 4; // `+`
const BYTE_KIND = new Uint8Array(256);
BYTE_KIND[AMPERSAND] = SEPARATOR;
BYTE_KIND[EQUALS] = EQUALS_SIGN;
BYTE_KIND[PERCENT] = ESCAPE;
BYTE_KIND[PLUS] = SPACE_SIGN;

/** Hex digit values by byte, -1 for bytes that are not hex digits. */
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let digit = 0; digit < 16; digit++) {
  const text = digit.toString(16);
  HEX_VALUE[text.charCodeAt(0)] = digit;
  HEX_VALUE[text.toUpperCase().charCodeAt(0)] = digit;
}

/** The byte `%XX` at body[at] stands for, or -1 when the two bytes after `%` are not both hex digits. */
function escapedByte(body: Buffer, at: number): number {
  const high = HEX_VALUE[body[at + 1] as number] as number;
  const low = HEX_VALUE[body[at + 2] as number] as number;
  return (high | low) < 0 ? -1 : (high << 4) | low;
}

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
 * A decoded body: `bytes` holds every pair as its decoded name followed by its decoded value, pair after
 * pair; `bounds` holds three offsets a pair (name start, value start, value end). `utf8` says whether
 * every name and value is valid UTF-8 on its own.
 */
interface DecodedForm {
  readonly bytes: Buffer;
  readonly bounds: readonly number[];
  readonly utf8: boolean;
}

/**
 * `body.indexOf(byte, from)`, remembered: each search resumes where the last one stopped, so finding every
 * `&`, `%` or `+` this way costs one pass over the body however often it is asked.
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

/** The native searches for the rest of long values: where each ends, and whether it has escapes. */
class ValueFinder {
  private readonly ampersand: ByteFinder;
  private readonly percent: ByteFinder;
  private readonly plus: ByteFinder;

  constructor(body: Buffer) {
    this.ampersand = new ByteFinder(body, AMPERSAND);
    this.percent = new ByteFinder(body, PERCENT);
    this.plus = new ByteFinder(body, PLUS);
  }

  /** Where the value that continues at `from` ends (its `&` or the body's end). */
  end(from: number): number {
    return this.ampersand.next(from);
  }

  escaped(from: number, end: number): boolean {
    return this.percent.next(from) < end || this.plus.next(from) < end;
  }
}

/**
 * After this many bytes of one value the loop hands the rest of it to native searches: a long value without
 * escapes is then one memcpy, and one with escapes goes through a leaner loop that knows it is inside a value
 * (no `&` in it, `=` is a plain byte). A real callback's values are short and never pay for a native call.
 */
const LONG_VALUE = 64;
/** Far enough below zero that no name reaches LONG_VALUE, and still a small integer for V8. */
const NOT_IN_VALUE = -(2 ** 30);

/**
 * Decodes body[start, end), inside one value: `+` as a space, `%XX` as its byte, the rest as it is. Also the
 * decoding floor in bench/verify.ts: the least work any Twilio form verifier does.
 */
export function percentDecodeInto(body: Buffer, start: number, end: number, out: Buffer, at: number): number {
  let written = at;
  let i = start;
  const lastEscapeStart = end - 2;
  while (i < end) {
    const byte = body[i] as number;
    const escaped = byte === PERCENT && i < lastEscapeStart ? escapedByte(body, i) : -1;
    if (escaped >= 0) {
      out[written++] = escaped;
      i += 3;
      continue;
    }
    out[written++] = byte === PLUS ? SPACE : byte;
    i++;
  }
  return written;
}

/**
 * Decodes a UTF-8 body (see `parseForm`) into `bytes` (at least the body's length: decoded bytes never
 * outnumber encoded ones).
 */
function decodeForm(body: Buffer, bytes: Buffer = Buffer.allocUnsafe(body.length)): DecodedForm {
  const bounds: number[] = [];
  const end = body.length;
  const lastEscapeStart = end - 2;
  let values: ValueFinder | undefined;
  let written = 0;
  let pairStart = 0;
  let valueStart = -1; // no `=` in this pair yet
  let valueBytes = NOT_IN_VALUE; // how far into the current value the loop is (none yet)
  let i = textStart(body);
  // Two loops: the inner one makes no calls, so V8 keeps the buffers' bounds and data pointers in registers;
  // the rest of a long value is handled outside it.
  for (;;) {
    while (i < end) {
      const byte = body[i] as number;
      const kind = BYTE_KIND[byte];
      if (++valueBytes === LONG_VALUE) break;
      if (kind === PLAIN) {
        bytes[written++] = byte;
        i++;
        continue;
      }
      if (kind === ESCAPE) {
        const escaped = i < lastEscapeStart ? escapedByte(body, i) : -1;
        if (escaped >= 0) {
          bytes[written++] = escaped;
          i += 3;
          continue;
        }
        bytes[written++] = byte; // a `%` without two hex digits stays as it is
      } else if (kind === SPACE_SIGN) {
        bytes[written++] = SPACE;
      } else if (kind === SEPARATOR) {
        // An empty sequence (`&&`) is no pair; `=` alone is a pair with an empty name and value.
        if (written > pairStart || valueStart !== -1) {
          bounds.push(pairStart, valueStart === -1 ? written : valueStart, written);
        }
        pairStart = written;
        valueStart = -1;
        valueBytes = NOT_IN_VALUE;
      } else if (valueStart === -1) {
        valueStart = written;
        valueBytes = 0;
      } else {
        bytes[written++] = byte; // a second `=` belongs to the value
      }
      i++;
    }
    if (i >= end) break;
    // body[i] is the LONG_VALUE-th byte of a value, not yet decoded: the rest of the value goes natively.
    values ??= new ValueFinder(body);
    const valueEnd = values.end(i);
    written = values.escaped(i, valueEnd)
      ? percentDecodeInto(body, i, valueEnd, bytes, written)
      : written + body.copy(bytes, written, i, valueEnd);
    i = valueEnd;
  }
  if (written > pairStart || valueStart !== -1) {
    bounds.push(pairStart, valueStart === -1 ? written : valueStart, written);
  }
  return { bytes, bounds, utf8: componentsAreUtf8(bytes, bounds, written) };
}

/**
 * Whether every name and value is valid UTF-8 on its own: the decoded bytes are, and no component starts
 * inside a character (on a continuation byte), so none ends inside one either.
 */
function componentsAreUtf8(bytes: Buffer, bounds: readonly number[], length: number): boolean {
  if (!isUtf8(bytes.subarray(0, length))) return false;
  for (const at of bounds) {
    if (at < length && ((bytes[at] as number) & 0xc0) === 0x80) return false;
  }
  return true;
}

/** Decodes UTF-8 as URLSearchParams must: invalid sequences become U+FFFD, a byte order mark stays. */
const lenientUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });

function addParam(params: FormParams, name: string, value: FormValue): void {
  const values = params.get(name);
  if (values) values.push(value);
  else params.set(name, [value]);
}

function componentText(form: DecodedForm, start: number, end: number): string {
  return form.utf8
    ? form.bytes.toString('utf8', start, end)
    : lenientUtf8.decode(form.bytes.subarray(start, end));
}

/**
 * The body's parameters, decoded as the WHATWG URL standard's `application/x-www-form-urlencoded` parser
 * decodes `new TextDecoder('utf-8', { fatal: true }).decode(body)` (what `new URLSearchParams` does, save
 * for a Node quirk noted in the tests); undefined when the body is not UTF-8. Values are views of one
 * decoded buffer, or text where their bytes are not UTF-8.
 */
export function parseForm(body: Buffer): FormParams | undefined {
  return isUtf8(body) ? parseFormOf(decodeForm(body)) : undefined;
}

function parseFormOf(form: DecodedForm): FormParams {
  const { bytes, bounds } = form;
  const params: FormParams = new Map();
  for (let pair = 0; pair < bounds.length; pair += 3) {
    const valueStart = bounds[pair + 1] as number;
    const valueEnd = bounds[pair + 2] as number;
    const value = bytes.subarray(valueStart, valueEnd);
    const name = componentText(form, bounds[pair] as number, valueStart);
    addParam(params, name, form.utf8 || isUtf8(value) ? value : lenientUtf8.decode(value));
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

/**
 * Byte order of two names in `bytes`, or NaN when it may not be twilio-node's order: that sorts strings
 * by UTF-16 code units, which byte order matches for ASCII.
 */
function compareAsciiNames(bytes: Buffer, a: number, aEnd: number, b: number, bEnd: number): number {
  const common = Math.min(aEnd - a, bEnd - b);
  for (let k = 0; k < common; k++) {
    const x = bytes[a + k] as number;
    const y = bytes[b + k] as number;
    if (x !== y) return (x | y) >= 0x80 ? Number.NaN : x - y;
  }
  return aEnd - a - (bEnd - b);
}

/**
 * Where `signedBodyBytes` decodes: its decoded bytes never outlive the call, so one buffer serves every
 * request instead of a fresh one each time (a large allocation costs about as much as decoding into it).
 * Kept only up to SCRATCH_LIMIT, so one huge request does not pin its size for the container's life.
 */
let scratch = Buffer.alloc(0);
const SCRATCH_LIMIT = 1024 * 1024;

function scratchFor(length: number): Buffer {
  if (length > SCRATCH_LIMIT) return Buffer.allocUnsafe(length);
  if (scratch.length < length) scratch = Buffer.allocUnsafe(Math.max(length, 4096));
  return scratch;
}

/** The last URL asked for and its bytes: a source's requests all carry the same one. */
let lastUrl = '';
let lastUrlBytes = Buffer.alloc(0);

function urlBytes(url: string): Buffer {
  if (url !== lastUrl) {
    lastUrlBytes = Buffer.from(url, 'utf8');
    lastUrl = url;
  }
  return lastUrlBytes;
}

/** Copies source[start, end) into target at `at`; short stretches by hand, where a native call costs more. */
function copyBytes(source: Buffer, start: number, end: number, target: Buffer, at: number): void {
  if (end - start > 64) {
    source.copy(target, at, start, end);
    return;
  }
  for (let i = start; i < end; i++) target[at + i - start] = source[i] as number;
}

/**
 * `signedFormBytes(parseForm(body), url)` without building the parameters: each pair's `name + value` is
 * already one slice of the decoded buffer, so the pairs are sorted by name and copied. Forms with a repeated
 * name, a name outside ASCII or bytes that are not UTF-8 take the general path. Undefined when the body is
 * not UTF-8.
 */
export function signedBodyBytes(body: Buffer, url: string): Buffer | undefined {
  if (!isUtf8(body)) return undefined;
  const form = decodeForm(body, scratchFor(body.length));
  const { bytes, bounds } = form;
  const pairs: number[] = [];
  for (let pair = 0; pair < bounds.length; pair += 3) pairs.push(pair);
  let general = !form.utf8;
  if (!general) {
    pairs.sort((a, b) => {
      const order = compareAsciiNames(
        bytes,
        bounds[a] as number,
        bounds[a + 1] as number,
        bounds[b] as number,
        bounds[b + 1] as number,
      );
      // Equal names (a repeated one) or an order bytes cannot decide: the general path sorts by string.
      if (order === 0 || Number.isNaN(order)) general = true;
      return order || 0;
    });
  }
  if (general) return signedFormBytes(parseFormOf(form), url);
  const prefix = urlBytes(url);
  let length = prefix.length;
  for (let pair = 0; pair < bounds.length; pair += 3)
    length += (bounds[pair + 2] as number) - (bounds[pair] as number);
  // Fully written below: every byte of it comes from the URL or a pair.
  const out = Buffer.allocUnsafe(length);
  copyBytes(prefix, 0, prefix.length, out, 0);
  let at = prefix.length;
  for (const pair of pairs) {
    const start = bounds[pair] as number;
    const end = bounds[pair + 2] as number;
    copyBytes(bytes, start, end, out, at);
    at += end - start;
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
