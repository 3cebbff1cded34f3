/**
 * Sample provider deliveries for `npm run send` and the end-to-end tests, read from
 * `test/fixtures/webhooks/<provider>/<event>.json`. A fixture holds the body (JSON, or form fields for
 * form-encoded providers) and the provider's non-signature delivery headers; string values may contain
 * tokens that are filled in per delivery, so each send is a new event unless it is sent as a duplicate:
 *
 * - `{{id}}`, `{{id2}}`, …: 24 random alphanumerics; `{{uuid}}`, `{{uuid2}}`, …: random UUIDs;
 *   `{{hex}}`, `{{hex2}}`, …: 32 random hex digits; `{{int}}`, `{{int2}}`, …: random 9-digit integers;
 * - `{{unix}}` / `{{unixMs}}` / `{{iso}}`: now, in epoch seconds / epoch milliseconds / ISO-8601.
 *
 * A string that is exactly one of `{{unix}}`, `{{unixMs}}` or `{{intN}}` becomes a JSON number.
 * The same token has the same value everywhere in one delivery (so a header id can equal a body id).
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProviderId } from '../lambdas/providers/types';

const HERE = dirname(fileURLToPath(import.meta.url));
/**
 * The sample deliveries: test/fixtures/webhooks in a checkout; beside the bundle in the built CLI
 * (dist/cli/fixtures/webhooks, copied there by scripts/cli-bundle.ts), as the package ships no test/.
 */
export const FIXTURES_DIR =
  [join(HERE, '..', 'test', 'fixtures', 'webhooks'), join(HERE, 'fixtures', 'webhooks')].find((dir) =>
    existsSync(dir),
  ) ?? join(HERE, '..', 'test', 'fixtures', 'webhooks');

/** One sample delivery as stored on disk. */
export interface WebhookFixture {
  readonly provider: ProviderId;
  /** The file name without `.json`; what `npm run send -- <provider> <event>` takes. */
  readonly name: string;
  readonly description: string;
  /** @default 'application/json' (or form-encoded when `form` is given) */
  readonly contentType: string;
  /** Delivery headers that are not signatures (event ids, topics), with tokens. */
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON body, with tokens. */
  readonly body?: unknown;
  /** Form fields of a form-encoded body, in order, with tokens. */
  readonly form?: Readonly<Record<string, string>>;
}

/** A fixture with its tokens filled in: the exact bytes and headers of one delivery. */
export interface RenderedFixture {
  readonly body: Buffer;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Providers that have fixtures. */
export function fixtureProviders(dir = FIXTURES_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** Event names (file names without `.json`) available for a provider, sorted. */
export function fixtureNames(provider: string, dir = FIXTURES_DIR): string[] {
  const folder = join(dir, provider);
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((file) => file.endsWith('.json'))
    .map((file) => basename(file, '.json'))
    .sort();
}

export function loadFixture(provider: ProviderId, name: string, dir = FIXTURES_DIR): WebhookFixture {
  const path = join(dir, provider, `${name}.json`);
  if (!existsSync(path)) {
    const available = fixtureNames(provider, dir);
    throw new Error(
      available.length
        ? `No ${provider} sample event "${name}". Available: ${available.join(', ')}`
        : `No sample events for ${provider} (add one under ${join(dir, provider)})`,
    );
  }
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Partial<WebhookFixture>;
  if (raw.body === undefined && raw.form === undefined) throw new Error(`${path} has neither body nor form`);
  return {
    provider,
    name,
    description: raw.description ?? '',
    contentType:
      raw.contentType ?? (raw.form ? 'application/x-www-form-urlencoded' : 'application/json; charset=utf-8'),
    headers: raw.headers ?? {},
    ...(raw.body !== undefined ? { body: raw.body } : {}),
    ...(raw.form !== undefined ? { form: raw.form } : {}),
  };
}

const TOKEN = /\{\{(id|uuid|hex|int)(\d*)\}\}|\{\{(unix|unixMs|iso)\}\}/g;
const NUMERIC_TOKEN = /^\{\{(?:unix|unixMs|int\d*)\}\}$/;

/** Fills tokens; one call is one delivery, so repeated tokens agree with each other. */
export function createTokenFiller(nowMs = Date.now()): (value: unknown) => unknown {
  const random = new Map<string, string>();
  const fixed: Record<string, string> = {
    unix: String(Math.floor(nowMs / 1000)),
    unixMs: String(nowMs),
    iso: new Date(nowMs).toISOString(),
  };
  const make = (kind: string): string => {
    if (kind === 'id') {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
      return Array.from(randomBytes(24), (b) => alphabet[b % alphabet.length]).join('');
    }
    if (kind === 'uuid') return randomUUID();
    if (kind === 'hex') return randomBytes(16).toString('hex');
    return String(randomInt(100_000_000, 999_999_999));
  };
  const replaceIn = (text: string) =>
    text.replace(TOKEN, (_match, kind?: string, suffix?: string, clock?: string) => {
      if (clock) return fixed[clock] ?? '';
      const key = `${kind}${suffix}`;
      let value = random.get(key);
      if (value === undefined) {
        value = make(kind ?? 'id');
        random.set(key, value);
      }
      return value;
    });
  const fill = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const replaced = replaceIn(value);
      return NUMERIC_TOKEN.test(value) ? Number(replaced) : replaced;
    }
    if (Array.isArray(value)) return value.map(fill);
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v)]));
    }
    return value;
  };
  return fill;
}

/** Renders one delivery of a fixture: fresh ids and timestamps, the body serialised as a provider would. */
export function renderFixture(fixture: WebhookFixture, nowMs = Date.now()): RenderedFixture {
  const fill = createTokenFiller(nowMs);
  const headers = fill(fixture.headers) as Record<string, string>;
  let body: Buffer;
  if (fixture.form) {
    const fields = fill(fixture.form) as Record<string, string>;
    body = Buffer.from(new URLSearchParams(fields).toString(), 'utf8');
  } else {
    body = Buffer.from(JSON.stringify(fill(fixture.body)), 'utf8');
  }
  return { body, contentType: fixture.contentType, headers };
}
