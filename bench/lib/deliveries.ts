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
  /** A new event from a random (source, fixture), signed now. */
  fresh(): Delivery;
  /** The same bytes signed again at `nowMs`, as a provider's retry would send them. */
  resign(delivery: Delivery, nowMs?: number): Delivery;
  /** Sources that have a signer and fixtures. */
  readonly sources: readonly SourceDefinition[];
}

export interface DeliveryFactoryOptions {
  /** Base URL of the webhook endpoint (`http://localhost:3000`); URL-bound schemes sign it. */
  readonly baseUrl: string;
  readonly sources: readonly SourceDefinition[];
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
      const operationKeys =
        mapping.kind === 'operations'
          ? mapping.operations.map((op) => operationIdempotencyKey(dedupeKey, op.name))
          : [];
      return { ...base, operationKeys, mappingFails: false };
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
  const fixtures = new Map<string, WebhookFixture[]>(
    usable.map((s) => [s.id, fixtureNames(s.provider).map((name) => loadFixture(s.provider, name))]),
  );
  let counter = 0;

  function sign(
    source: SourceDefinition,
    fixture: string,
    contentType: string,
    body: Buffer,
    extra: Record<string, string>,
    nowMs: number,
  ): Delivery {
    const entry = options.secrets.sources[source.id];
    if (!entry) throw new Error(`No local secret for ${source.id}`);
    const signed = signDelivery(
      source,
      { body, contentType, headers: extra },
      signingKeyOf(entry),
      options.baseUrl,
      nowMs,
    );
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

  return {
    sources: usable,
    fresh() {
      const source = options.rng.pick(usable);
      const fixture = options.rng.pick(fixtures.get(source.id) ?? []);
      const rendered = renderFixture(fixture);
      counter += 1;
      const body = uniquify(rendered.body, rendered.contentType, counter);
      return sign(source, fixture.name, rendered.contentType, body, { ...rendered.headers }, Date.now());
    },
    resign(delivery, nowMs = Date.now()) {
      const source = usable.find((s) => s.id === delivery.sourceId);
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
  };
}
