/**
 * Signed webhook deliveries for the bench scripts, built from the committed sample fixtures and signed
 * with local mode's secrets exactly as each provider would (local/signers.ts), plus an oracle: which
 * events (dedupe keys) a delivery carries and which CDP operations (Idempotency-Keys) each should cause.
 *
 * Every fresh delivery is a new event: the fixture's tokens give new ids, and the shared sample e-mail
 * addresses and CRM object ids are made unique, so no two events update the same CDP entity and the
 * out-of-order guard never (legitimately) skips one. "Applied exactly once" is then checkable per event.
 */
import { forwardedHeaders } from '../../lambdas/ingest/messages';
import { mapEvent, operationIdempotencyKey, parseJsonBody } from '../../lambdas/mapping/index';
import { dedupeKeyFor, extractEvents } from '../../lambdas/providers/index';
import type { ProviderId, RawRequest } from '../../lambdas/providers/types';
import type { SourceDefinition } from '../../lib/config';
import { fixtureNames, loadFixture, renderFixture, type WebhookFixture } from '../../local/fixtures';
import { type LocalSecretsFile, signingKeyOf } from '../../local/local-secrets';
import { type SignedDelivery, signDelivery } from '../../local/send-webhooks';
import { SIGNERS } from '../../local/signers';
import type { Rng } from './prng';

/**
 * One profile-style upsert an event causes, ordered by the out-of-order guard: several events can write
 * the same CDP entity (object + match key value), and the newest applied one must be its final state.
 */
export interface ExpectedUpsert {
  readonly operationKey: string;
  readonly object: string;
  readonly matchValue: string;
  /** The event's own time (what the guard orders by), epoch ms. */
  readonly eventTimeMs: number;
  /** The record the upsert writes: the entity's state after it. */
  readonly record: Readonly<Record<string, unknown>>;
}

/** What one event of a delivery should cause downstream. */
export interface ExpectedEvent {
  readonly dedupeKey: string;
  readonly sourceId: string;
  readonly provider: ProviderId;
  readonly eventType: string;
  /** Idempotency-Keys of the CDP operations its mapping produces (empty: an unmapped type, acknowledged). */
  readonly operationKeys: readonly string[];
  /** The mapping rejects it (permanent failure): it must end in the DLQ with a reason. */
  readonly mappingFails: boolean;
  /** Its ordered upserts (for the stale-overwrite check); none for appends and unordered upserts. */
  readonly upserts?: readonly ExpectedUpsert[];
}

export interface Delivery extends SignedDelivery {
  readonly sourceId: string;
  readonly provider: ProviderId;
  readonly fixture: string;
  readonly contentType: string;
  /** The fixture's own (non-signature) delivery headers, kept for re-signing. */
  readonly fixtureHeaders: Readonly<Record<string, string>>;
  readonly events: readonly ExpectedEvent[];
}

export interface DeliveryFactory {
  /** A new event from a random (source, fixture), or from the given source, signed now. */
  fresh(sourceId?: string): Delivery;
  /** A new event from one of the provider's fixtures for any source, signed now (with `signingKey`). */
  freshFor(source: SourceDefinition, signingKey?: string): Delivery;
  /** The same bytes signed again at `nowMs`, as a provider's retry would send them. */
  resign(delivery: Delivery, nowMs?: number): Delivery;
  /**
   * A delivery of hand-made bytes for any source (also ones outside `sources`), signed now with the
   * source's local key or `signingKey` (the adversarial chaos phases sign with empty or rotated-out keys).
   */
  custom(source: SourceDefinition, input: CustomDelivery): Delivery;
  /**
   * A captured delivery sent again byte for byte, signature included, with some unsigned headers changed
   * (an attacker's replay): the oracle's events are those of the changed request.
   */
  replay(delivery: Delivery, headers: Readonly<Record<string, string>>): Delivery;
  /** Sources that have a signer and fixtures. */
  readonly sources: readonly SourceDefinition[];
}

export interface CustomDelivery {
  readonly body: Buffer;
  readonly contentType: string;
  /** Non-signature delivery headers (ids, topics). */
  readonly headers?: Readonly<Record<string, string>>;
  /** @default the source's local signing key */
  readonly signingKey?: string;
  /** A label for reports. @default 'custom' */
  readonly fixture?: string;
}

export interface DeliveryFactoryOptions {
  /** Base URL of the webhook endpoint (`http://localhost:3000`); URL-bound schemes sign it. */
  readonly baseUrl: string;
  readonly sources: readonly SourceDefinition[];
  /** Sources `custom`, `freshFor` and `replay` may address but `fresh()` never picks. */
  readonly extraSources?: readonly SourceDefinition[];
  readonly secrets: LocalSecretsFile;
  readonly rng: Rng;
}

/** Lower-cased, multi-value headers as the ingest sees them. */
export function rawHeaders(headers: Readonly<Record<string, string>>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    out[key] = [...(out[key] ?? []), value];
  }
  return out;
}

/** Events and expected CDP operations of an authentic request (the oracle; pure). */
export function expectedEvents(
  source: Pick<SourceDefinition, 'id' | 'provider' | 'options'>,
  request: RawRequest,
): ExpectedEvent[] {
  const extraction = extractEvents(source.provider, request, source.options ?? {});
  if (!extraction.ok) return [];
  const headers = forwardedHeaders(request.headers);
  return extraction.events.map((event) => {
    const dedupeKey = dedupeKeyFor(source.id, event);
    const base = {
      dedupeKey,
      sourceId: source.id,
      provider: source.provider,
      eventType: event.eventType || 'unknown',
    };
    try {
      const mapping = mapEvent({
        sourceId: source.id,
        provider: source.provider,
        eventType: event.eventType || 'unknown',
        providerEventId: event.providerEventId,
        dedupeKey,
        occurredAt: event.occurredAt,
        receivedAt: new Date().toISOString(),
        headers,
        body: event.raw,
        json: parseJsonBody(event.raw),
      });
      const operations = mapping.kind === 'operations' ? mapping.operations : [];
      const operationKeys = operations.map((op) => operationIdempotencyKey(dedupeKey, op.name));
      const upserts: ExpectedUpsert[] = [];
      for (const op of operations) {
        if (op.kind !== 'upsert' || op.eventTimeMs === undefined) continue;
        const matchValue = op.record[op.matchKey];
        if (typeof matchValue !== 'string' && typeof matchValue !== 'number') continue;
        upserts.push({
          operationKey: operationIdempotencyKey(dedupeKey, op.name),
          object: op.object,
          matchValue: String(matchValue),
          eventTimeMs: op.eventTimeMs,
          record: op.record,
        });
      }
      return { ...base, operationKeys, mappingFails: false, upserts };
    } catch {
      return { ...base, operationKeys: [], mappingFails: true };
    }
  });
}

const SAMPLE_EMAIL = /([A-Za-z0-9._%-]+)@example\.com/gi;
const HUBSPOT_OBJECT_ID = /("objectId"\s*:\s*)(\d+)/g;

/** Makes the fixtures' shared entities unique to this delivery (see the module comment). */
function uniquify(body: Buffer, contentType: string, n: number): Buffer {
  if (!contentType.includes('json')) return body;
  const text = body
    .toString('utf8')
    .replace(SAMPLE_EMAIL, (_m, local: string) => `${local}.b${n}@example.com`)
    .replace(HUBSPOT_OBJECT_ID, (_m, prefix: string, id: string) => `${prefix}${Number(id) * 1_000_000 + n}`);
  return Buffer.from(text, 'utf8');
}

/** Builds signed deliveries for every configured source that local mode can sign and has fixtures for. */
export function createDeliveryFactory(options: DeliveryFactoryOptions): DeliveryFactory {
  const usable = options.sources.filter(
    (s) => SIGNERS[s.provider] && fixtureNames(s.provider).length > 0 && options.secrets.sources[s.id],
  );
  if (usable.length === 0) throw new Error('No configured source can be signed locally (fixtures/secrets)');
  const fixtures = new Map<string, WebhookFixture[]>();
  const fixturesOf = (provider: SourceDefinition['provider']): WebhookFixture[] => {
    let list = fixtures.get(provider);
    if (!list) {
      list = fixtureNames(provider).map((name) => loadFixture(provider, name));
      fixtures.set(provider, list);
    }
    return list;
  };
  const all = [...options.sources, ...(options.extraSources ?? [])];
  let counter = 0;

  function sign(
    source: SourceDefinition,
    fixture: string,
    contentType: string,
    body: Buffer,
    extra: Readonly<Record<string, string>>,
    nowMs: number,
    signingKey?: string,
  ): Delivery {
    const entry = options.secrets.sources[source.id];
    const key = signingKey ?? (entry ? signingKeyOf(entry) : undefined);
    if (key === undefined) throw new Error(`No local secret for ${source.id}`);
    const signed = signDelivery(source, { body, contentType, headers: extra }, key, options.baseUrl, nowMs);
    const request: RawRequest = {
      method: 'POST',
      url: signed.url,
      headers: rawHeaders(signed.headers),
      body,
    };
    return {
      ...signed,
      sourceId: source.id,
      provider: source.provider,
      fixture,
      contentType,
      fixtureHeaders: extra,
      events: expectedEvents(source, request),
    };
  }

  function freshFor(source: SourceDefinition, signingKey?: string): Delivery {
    const fixture = options.rng.pick(fixturesOf(source.provider));
    const rendered = renderFixture(fixture);
    counter += 1;
    const body = uniquify(rendered.body, rendered.contentType, counter);
    return sign(
      source,
      fixture.name,
      rendered.contentType,
      body,
      { ...rendered.headers },
      Date.now(),
      signingKey,
    );
  }

  return {
    sources: usable,
    fresh(sourceId) {
      const source =
        sourceId === undefined ? options.rng.pick(usable) : usable.find((s) => s.id === sourceId);
      if (!source) throw new Error(`No usable source ${sourceId}`);
      return freshFor(source);
    },
    freshFor,
    resign(delivery, nowMs = Date.now()) {
      const source = all.find((s) => s.id === delivery.sourceId);
      if (!source) throw new Error(`Unknown source ${delivery.sourceId}`);
      return sign(
        source,
        delivery.fixture,
        delivery.contentType,
        delivery.body,
        delivery.fixtureHeaders,
        nowMs,
      );
    },
    custom(source, input) {
      return sign(
        source,
        input.fixture ?? 'custom',
        input.contentType,
        input.body,
        input.headers ?? {},
        Date.now(),
        input.signingKey,
      );
    },
    replay(delivery, changes) {
      const source = all.find((s) => s.id === delivery.sourceId);
      if (!source) throw new Error(`Unknown source ${delivery.sourceId}`);
      const lower = new Set(Object.keys(changes).map((k) => k.toLowerCase()));
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(delivery.headers)) {
        if (!lower.has(name.toLowerCase())) headers[name] = value;
      }
      Object.assign(headers, changes);
      const request: RawRequest = {
        method: 'POST',
        url: delivery.url,
        headers: rawHeaders(headers),
        body: delivery.body,
      };
      return { ...delivery, headers, events: expectedEvents(source, request) };
    },
  };
}
