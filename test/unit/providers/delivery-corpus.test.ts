/**
 * The delivery corpus (test/fixtures/deliveries): every provider's documented example request, run through
 * the registry exactly as the ingest runs it. Each delivery must verify at its documented time and yield the
 * documented events; the same delivery tampered with, or a day later for timestamped schemes, must not.
 * The format and the kinds of entry are described in test/fixtures/deliveries/README.md.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { authenticate, extractEvents, SCHEMES, schemeFor } from '../../../lambdas/providers/index';
import type { ProviderId, RawRequest } from '../../../lambdas/providers/types';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CORPUS = join(ROOT, 'test', 'fixtures', 'deliveries');

interface Tamper {
  readonly body?: { readonly find: string; readonly replace: string };
  readonly header?: readonly [string, string];
  readonly url?: { readonly find: string; readonly replace: string };
}

interface Delivery {
  readonly provenance: string;
  readonly source: 'docs-with-signature' | 'sdk-signed' | 'algorithm-signed';
  readonly method: string;
  readonly url: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly bodyText?: string;
  readonly bodyBase64?: string;
  readonly bodySha256?: string;
  readonly secrets: readonly string[];
  readonly options?: Readonly<Record<string, unknown>>;
  readonly toleranceSeconds?: number;
  readonly verifyAtMs: number;
  readonly tamper?: Tamper;
  readonly expect: {
    readonly count: number;
    readonly events: readonly { readonly id: string | null; readonly type: string }[];
  };
  readonly todo?: string;
}

interface Entry {
  readonly provider: ProviderId;
  readonly name: string;
  readonly delivery: Delivery;
}

function loadCorpus(): Entry[] {
  const entries: Entry[] = [];
  for (const provider of readdirSync(CORPUS, { withFileTypes: true })) {
    if (!provider.isDirectory()) continue;
    for (const file of readdirSync(join(CORPUS, provider.name)).sort()) {
      if (!file.endsWith('.json')) continue;
      const delivery = JSON.parse(readFileSync(join(CORPUS, provider.name, file), 'utf8')) as Delivery;
      entries.push({ provider: provider.name as ProviderId, name: file.replace(/\.json$/, ''), delivery });
    }
  }
  return entries;
}

function bodyOf(delivery: Delivery): Buffer {
  if (delivery.bodyBase64 !== undefined) return Buffer.from(delivery.bodyBase64, 'base64');
  return Buffer.from(delivery.bodyText ?? '', 'utf8');
}

/** The request as the ingest adapter builds it: header names lower-cased, every value kept in order. */
function requestOf(delivery: Delivery, body = bodyOf(delivery)): RawRequest {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of delivery.headers) {
    const key = name.toLowerCase();
    headers[key] = [...(headers[key] ?? []), value];
  }
  return { method: delivery.method, url: delivery.url, headers, body };
}

/** The same delivery with what its signature (or credential) covers changed. */
function tampered(delivery: Delivery): RawRequest {
  const request = requestOf(delivery);
  const { tamper } = delivery;
  if (tamper?.header) {
    const [name, value] = tamper.header;
    return { ...request, headers: { ...request.headers, [name.toLowerCase()]: [value] } };
  }
  if (tamper?.url) {
    assert.ok(request.url.includes(tamper.url.find), 'tamper.url.find occurs in the URL');
    return { ...request, url: request.url.replace(tamper.url.find, tamper.url.replace) };
  }
  const text = request.body.toString('utf8');
  if (tamper?.body) {
    assert.ok(text.includes(tamper.body.find), 'tamper.body.find occurs in the body');
    return { ...request, body: Buffer.from(text.replace(tamper.body.find, tamper.body.replace), 'utf8') };
  }
  // Default: one byte in the middle of the body changes (a digit or letter, so forms and JSON stay parseable).
  const body = Buffer.from(request.body);
  let at = Math.floor(body.length / 2);
  while (at < body.length && !/[0-9A-Za-z]/.test(String.fromCharCode(body[at] ?? 0))) at++;
  assert.ok(at < body.length, 'the body has a letter or digit to change');
  body[at] = body[at] === 0x30 ? 0x31 : 0x30;
  return { ...request, body };
}

function verdictOf(entry: Entry, request: RawRequest, nowMs: number) {
  return authenticate({
    provider: entry.provider,
    request,
    secrets: entry.delivery.secrets,
    nowMs,
    ...(entry.delivery.toleranceSeconds !== undefined
      ? { toleranceSeconds: entry.delivery.toleranceSeconds }
      : {}),
    ...(entry.delivery.options ? { options: entry.delivery.options } : {}),
  });
}

/**
 * Whether the delivery's verification depends on a signed timestamp: its scheme has a replay window, except
 * HubSpot v1/v2 (no timestamp) and generic HMAC sources configured without a timestamp header.
 */
function isTimestamped(entry: Entry): boolean {
  if (schemeFor(entry.provider)?.defaultToleranceSeconds === undefined) return false;
  if (entry.provider === 'hubspot') return entry.delivery.headers.some(([name]) => /-v3$/i.test(name));
  if (entry.provider === 'generic-hmac') return entry.delivery.options?.timestampHeader !== undefined;
  return true;
}

const DAY_MS = 86_400_000;
const corpus = loadCorpus();

describe('delivery corpus: every documented delivery verifies and yields its events', () => {
  for (const entry of corpus) {
    const { delivery } = entry;
    const label = `${entry.provider}/${entry.name} (${delivery.source})`;
    const todo = delivery.todo === undefined ? {} : { todo: delivery.todo };

    it(`${label}: file is well formed`, () => {
      assert.ok(delivery.provenance.length > 0, 'every delivery says where it comes from');
      assert.ok(['docs-with-signature', 'sdk-signed', 'algorithm-signed'].includes(delivery.source));
      assert.ok(delivery.secrets.length > 0);
      assert.equal(delivery.expect.events.length, delivery.expect.count);
      if (delivery.bodySha256 !== undefined) {
        // Guards the bytes against editors and formatters: the body must stay what was signed.
        assert.equal(createHash('sha256').update(bodyOf(delivery)).digest('hex'), delivery.bodySha256);
      }
    });

    it(`${label}: verifies at its documented time`, todo, () => {
      assert.deepEqual(verdictOf(entry, requestOf(delivery), delivery.verifyAtMs), { ok: true });
    });

    it(`${label}: yields the documented ids, types and count`, todo, () => {
      const extraction = extractEvents(entry.provider, requestOf(delivery), delivery.options ?? {});
      assert.ok(extraction.ok, extraction.ok ? '' : extraction.message);
      assert.equal(extraction.events.length, delivery.expect.count);
      assert.deepEqual(
        extraction.events.map((event) => ({ id: event.providerEventId ?? null, type: event.eventType })),
        delivery.expect.events,
      );
    });

    it(`${label}: the tampered delivery is refused`, () => {
      const verdict = verdictOf(entry, tampered(delivery), delivery.verifyAtMs);
      assert.equal(verdict.ok, false);
    });

    if (isTimestamped(entry)) {
      it(`${label}: the same delivery a day later is refused as stale`, () => {
        const verdict = verdictOf(entry, requestOf(delivery), delivery.verifyAtMs + DAY_MS);
        assert.equal(verdict.ok, false);
      });
    }
  }
});

describe('delivery corpus: downgrades', () => {
  it('HubSpot: the documented v3 delivery with its v3 headers removed (v1 alone, no timestamp) is refused', () => {
    const entry = corpus.find((e) => e.provider === 'hubspot' && e.name === 'v3-contact-batch');
    assert.ok(entry);
    const request = requestOf(entry.delivery);
    const headers = { ...request.headers };
    delete headers['x-hubspot-signature-v3'];
    delete headers['x-hubspot-request-timestamp'];
    const verdict = verdictOf(entry, { ...request, headers }, entry.delivery.verifyAtMs + DAY_MS * 30);
    assert.equal(verdict.ok, false);
  });

  it('GitHub: the documented delivery with a forged X-Hub-Signature-256 is refused despite a valid sha1', () => {
    const entry = corpus.find((e) => e.provider === 'github' && e.name === 'issues-opened');
    assert.ok(entry);
    const request = requestOf(entry.delivery);
    const headers = { ...request.headers, 'x-hub-signature-256': [`sha256=${'0'.repeat(64)}`] };
    assert.equal(verdictOf(entry, { ...request, headers }, entry.delivery.verifyAtMs).ok, false);
  });
});

describe('delivery corpus: coverage', () => {
  it('every provider in the registry has at least one corpus delivery', () => {
    const covered = new Set(corpus.map((entry) => entry.provider));
    const missing = Object.keys(SCHEMES).filter((id) => !covered.has(id as ProviderId));
    assert.deepEqual(missing, []);
  });

  it('every corpus folder is a registered provider', () => {
    const unknown = [...new Set(corpus.map((entry) => entry.provider))].filter((id) => !schemeFor(id));
    assert.deepEqual(unknown, []);
  });

  /** Provider ids in the first column of the README table that starts at `heading`. */
  function readmeTableIds(heading: string): Set<string> {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf(heading);
    assert.ok(start !== -1, `README has a table after ${heading}`);
    const header = readme.indexOf('| provider id |', start);
    const table = readme.slice(header).split('\n\n')[0] ?? '';
    const listed = new Set<string>();
    for (const line of table.split('\n').slice(2)) {
      const firstCell = line.split('|')[1] ?? '';
      for (const match of firstCell.matchAll(/`([a-z0-9-]+)`/g)) if (match[1]) listed.add(match[1]);
    }
    return listed;
  }

  it('every provider id the README lists has a corpus delivery', () => {
    const listed = readmeTableIds('**Providers**');
    assert.ok(listed.size >= 20, `README lists ${listed.size} providers`);
    const covered = new Set(corpus.map((entry) => entry.provider as string));
    assert.deepEqual(
      [...listed].filter((id) => !covered.has(id)),
      [],
    );
  });

  it("the README's reference-deliveries table names every provider of the corpus", () => {
    const listed = readmeTableIds('**Reference deliveries.**');
    const covered = [...new Set(corpus.map((entry) => entry.provider as string))];
    assert.deepEqual(
      covered.filter((id) => !listed.has(id)),
      [],
    );
  });

  it('the Svix spelling of Standard Webhooks is covered', () => {
    const svix = corpus.filter(
      (entry) =>
        entry.provider === 'standard-webhooks' &&
        entry.delivery.headers.some(([name]) => name.toLowerCase() === 'svix-signature'),
    );
    assert.ok(svix.length > 0);
  });

  it('the corpus folder exists', () => {
    assert.ok(existsSync(CORPUS));
  });
});
