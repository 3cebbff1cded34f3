/**
 * The ingest domain: route, guard, verify on the raw bytes, split into events, and queue each event
 * durably before answering 2xx. Never answers 2xx for an event it has not queued (or dead-lettered), and
 * never throws: every outcome is an HTTP answer.
 */
import { authenticate, dedupeKeyFor, extractEvents, schemeFor } from '../providers/index';
import type { ProviderEvent, RawRequest } from '../providers/types';
import { FAILURE_ATTRIBUTES } from '../shared/envelope';
import { LOG_FIELDS, LOG_MESSAGES } from '../shared/log-metrics';
import { type IncomingRequest, publicUrlFor, sourceIdOf } from '../shared/request';
import { QUEUE_DEFAULTS } from '../shared/schema';
import { isUsableSecret } from '../shared/secret-value';
import type { SecretSource } from '../shared/secrets';
import { DEFAULT_MAX_BODY_BYTES, type SourceConfig } from '../shared/source-config';
import { createIpAllowlist, type IpAllowlist } from './cidr';
import {
  checkClaimCheckThreshold,
  claimCheckKey,
  type EnvelopeFields,
  envelopeJson,
  forwardedHeaders,
  inlineBody,
  messageAttributes,
  messageSize,
  packBatches,
} from './messages';
import type { ClaimCheckStore, IngestLogger, IngestMetrics, QueueEntry, QueuePort } from './ports';
import {
  errorResponse,
  type HttpResponse,
  type IngestErrorCode,
  jsonResponse,
  noContentResponse,
  type Receipt,
} from './responses';

export interface RetryPolicy {
  /** Attempts per entry including the first. @default 3 */
  readonly attempts: number;
  /** Delay before retry n (1-based) is `baseDelayMs * 4^(n-1)`. @default 25 */
  readonly baseDelayMs: number;
}

export interface IngestDeps {
  readonly sources: ReadonlyMap<string, SourceConfig>;
  readonly secrets: SecretSource;
  readonly queue: QueuePort;
  readonly deadLetterQueue: QueuePort;
  readonly claimCheck: ClaimCheckStore;
  readonly logger: IngestLogger;
  readonly metrics: IngestMetrics;
  /** Envelopes larger than this are claim-checked. @default QUEUE_DEFAULTS.claimCheckThresholdBytes */
  readonly claimCheckThresholdBytes?: number;
  readonly retry?: RetryPolicy;
  readonly now?: () => number;
  readonly uuid?: () => string;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface Ingest {
  handle(request: IncomingRequest): Promise<HttpResponse>;
}

/** Metric dimension for requests that name no configured source (bounded, unlike the path). */
export const UNKNOWN_SOURCE_DIMENSION = 'unknown';
const FAILURE_MESSAGE_MAX = 256;
const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 25 };

class EnqueueError extends Error {
  override readonly name = 'EnqueueError';
}

/**
 * The 2xx once everything is durably stored: 202 with the receipt, or the empty 204 a provider requires
 * (Discord refuses a webhook-events URL whose PING is not answered that way).
 */
function acknowledge(source: SourceConfig, receipt: Receipt): HttpResponse {
  return schemeFor(source.provider)?.acknowledgeWithNoContent === true
    ? noContentResponse()
    : jsonResponse(202, receipt);
}

/**
 * Builds the ingest domain. The threshold is checked up front (a bad one fails the cold start: it concerns
 * every source). Each source's own settings (its CIDR allowlist) are checked up front too, but a bad one
 * only takes that source out of service: it answers 503 `source_misconfigured` and the others keep working.
 */
export function createIngest(deps: IngestDeps): Ingest {
  const threshold = checkClaimCheckThreshold(
    deps.claimCheckThresholdBytes ?? QUEUE_DEFAULTS.claimCheckThresholdBytes,
  );
  const retry = deps.retry ?? DEFAULT_RETRY;
  const now = deps.now ?? Date.now;
  const uuid = deps.uuid ?? (() => crypto.randomUUID());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { logger, metrics } = deps;

  const allowlists = new Map<string, IpAllowlist>();
  /** Sources whose settings cannot be used, with the problem (configuration text, never secret material). */
  const misconfiguredSources = new Map<string, string>();
  for (const source of deps.sources.values()) {
    if (!source.allowedCidrs || source.allowedCidrs.length === 0) continue;
    try {
      allowlists.set(source.id, createIpAllowlist(source.allowedCidrs));
    } catch (error) {
      misconfiguredSources.set(source.id, (error as Error).message);
      logger.error('Source misconfigured; it answers 503 until its settings are fixed', {
        source: source.id,
        problem: (error as Error).message,
      });
    }
  }

  /**
   * Every 5xx answer goes through here: counted as `ServerErrors` by source and code, so an alarm can watch
   * what providers actually see (the function itself does not fail, so Lambda `Errors` stays at 0).
   */
  function serverError(source: string, status: number, error: IngestErrorCode, message: string) {
    metrics.count('ServerErrors', source, 1, error);
    return errorResponse(status, error, message);
  }

  /** Our configuration is at fault, not the caller: 503 keeps the provider retrying until it is fixed. */
  function sourceMisconfigured(source: string, problem: string): HttpResponse {
    logger.error('Source cannot verify deliveries', { source, problem });
    return serverError(
      source,
      503,
      'source_misconfigured',
      'The webhook cannot be verified right now; please retry',
    );
  }

  function rejected(
    source: string,
    status: number,
    error: string,
    message: string,
    headers?: Record<string, string>,
  ): HttpResponse {
    metrics.count('Rejected', source, 1, error);
    logger.info('Request rejected', { source, status, error });
    return errorResponse(status, error, message, headers);
  }

  /** Inline envelope, or a claim-checked one when the inline form would pass the threshold. */
  async function toEntry(id: string, fields: EnvelopeFields, raw: Buffer, receivedAt: Date) {
    const attributes = messageAttributes(fields);
    const inline = envelopeJson(fields, inlineBody(raw));
    if (messageSize({ body: inline, attributes }) <= threshold) {
      return { entry: { id, body: inline, attributes }, claimChecked: false };
    }
    const key = claimCheckKey(fields.sourceId, receivedAt, uuid());
    const { bucket } = await deps.claimCheck.put(key, raw);
    const body = envelopeJson(fields, { kind: 's3', bucket, key, sizeBytes: raw.length });
    return { entry: { id, body, attributes }, claimChecked: true };
  }

  /** Sends every entry, retrying the ones SQS refused; throws EnqueueError if any is still refused. */
  async function sendAll(queue: QueuePort, entries: readonly QueueEntry[], source: string): Promise<void> {
    let pending = entries;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const results = await Promise.all(packBatches(pending).map((batch) => queue.sendBatch(batch)));
      const failedIds = new Set(results.flat().map((f) => f.id));
      if (failedIds.size === 0) return;
      logger.warn('Queue refused entries', {
        source,
        attempt,
        failed: failedIds.size,
        codes: [...new Set(results.flat().map((f) => f.code))],
      });
      if (attempt >= retry.attempts) {
        throw new EnqueueError(
          `${failedIds.size} of ${entries.length} entries refused after ${attempt} attempts`,
        );
      }
      pending = pending.filter((entry) => failedIds.has(entry.id));
      await sleep(retry.baseDelayMs * 4 ** (attempt - 1));
    }
  }

  async function deadLetterUnusable(
    source: SourceConfig,
    raw: RawRequest,
    reason: string,
    receivedAt: Date,
  ): Promise<HttpResponse> {
    const event: ProviderEvent = {
      providerEventId: undefined,
      eventType: 'unknown',
      occurredAt: undefined,
      raw: raw.body,
    };
    const dedupeKey = dedupeKeyFor(source.id, event);
    const fields: EnvelopeFields = {
      sourceId: source.id,
      provider: source.provider,
      dedupeKey,
      providerEventId: undefined,
      eventType: 'unknown',
      occurredAt: undefined,
      receivedAt: receivedAt.toISOString(),
      headers: forwardedHeaders(raw.headers),
    };
    try {
      const { entry } = await toEntry('dlq0', fields, raw.body, receivedAt);
      const failureAttributes = {
        [FAILURE_ATTRIBUTES.failureClass]: 'unusable_payload',
        [FAILURE_ATTRIBUTES.failureMessage]: reason.slice(0, FAILURE_MESSAGE_MAX) || 'unusable payload',
        [FAILURE_ATTRIBUTES.failedAt]: receivedAt.toISOString(),
        [FAILURE_ATTRIBUTES.failedBy]: 'ingest',
      };
      await sendAll(
        deps.deadLetterQueue,
        [{ ...entry, attributes: { ...entry.attributes, ...failureAttributes } }],
        source.id,
      );
    } catch (error) {
      metrics.count('EnqueueFailed', source.id, 1);
      logger.error('Dead-lettering an unusable payload failed', {
        source: source.id,
        correlation_id: dedupeKey,
        error: (error as Error).message,
      });
      return serverError(
        source.id,
        503,
        'dead_letter_failed',
        'The delivery could not be stored; please retry',
      );
    }
    metrics.count('Rejected', source.id, 1, 'unusable_payload');
    logger.warn('Authentic but unusable payload dead-lettered', {
      source: source.id,
      correlation_id: dedupeKey,
      reason,
    });
    const receipt: Receipt = { received: 0, eventIds: [], deadLettered: true };
    return acknowledge(source, receipt);
  }

  async function handle(request: IncomingRequest): Promise<HttpResponse> {
    const receivedAtMs = now();
    const receivedAt = new Date(receivedAtMs);
    const sourceId = sourceIdOf(request);
    const source = sourceId === undefined ? undefined : deps.sources.get(sourceId);
    const dimension = source?.id ?? UNKNOWN_SOURCE_DIMENSION;
    if (!source) {
      return rejected(dimension, 404, 'unknown_source', 'No webhook source is configured at this path');
    }
    if (request.method !== 'POST') {
      return rejected(source.id, 405, 'method_not_allowed', 'Webhooks must be delivered with POST', {
        allow: 'POST',
      });
    }
    const problem = misconfiguredSources.get(source.id);
    if (problem !== undefined) return sourceMisconfigured(source.id, problem);
    const allowlist = allowlists.get(source.id);
    if (allowlist && !allowlist(request.sourceIp)) {
      return rejected(source.id, 403, 'forbidden_ip', 'The caller address is not allowed for this source');
    }
    const maxBodyBytes = source.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (request.body.length > maxBodyBytes) {
      return rejected(
        source.id,
        413,
        'payload_too_large',
        `The body exceeds this source's limit of ${maxBodyBytes} bytes`,
      );
    }

    let secrets: readonly string[];
    try {
      // Empty and whitespace-only values never reach a scheme, whatever the secret source returned.
      secrets = (await deps.secrets.getActiveSecrets(source.secretId)).filter(isUsableSecret);
    } catch (error) {
      metrics.count('Rejected', source.id, 1, 'secret_unavailable');
      logger.error('Signing secret unavailable', { source: source.id, error: (error as Error).name });
      return serverError(
        source.id,
        503,
        'secret_unavailable',
        'The webhook cannot be verified right now; please retry',
      );
    }
    if (secrets.length === 0) {
      // `{"secret": ""}` and friends: verifying with no key (or an empty one) would accept forgeries.
      metrics.count('Rejected', source.id, 1, 'no_active_secret');
      return sourceMisconfigured(source.id, 'no_active_secret');
    }

    const raw: RawRequest = {
      method: request.method,
      url: publicUrlFor(request, source.publicUrl),
      headers: request.headers,
      body: request.body,
      ...(request.sourceIp !== undefined ? { sourceIp: request.sourceIp } : {}),
    };
    const verdict = authenticate({
      provider: source.provider,
      request: raw,
      secrets,
      nowMs: receivedAtMs,
      ...(source.toleranceSeconds !== undefined ? { toleranceSeconds: source.toleranceSeconds } : {}),
      ...(source.options !== undefined ? { options: source.options } : {}),
    });
    if (!verdict.ok) {
      if (verdict.reason === 'no_active_secret' || verdict.reason === 'invalid_secret_config') {
        metrics.count('Rejected', source.id, 1, verdict.reason);
        return sourceMisconfigured(source.id, verdict.reason);
      }
      return rejected(source.id, 401, verdict.reason, verdict.message);
    }

    const extraction = extractEvents(source.provider, raw, source.options ?? {});
    if (!extraction.ok || extraction.events.length === 0) {
      const reason = extraction.ok ? 'The payload carries no events' : extraction.message;
      return deadLetterUnusable(source, raw, reason, receivedAt);
    }

    const headers = forwardedHeaders(raw.headers);
    const events = extraction.events;
    const dedupeKeys = events.map((event) => dedupeKeyFor(source.id, event));
    let claimChecked = 0;
    try {
      const prepared = await Promise.all(
        events.map((event, index) =>
          toEntry(
            `e${index}`,
            {
              sourceId: source.id,
              provider: source.provider,
              dedupeKey: dedupeKeys[index] ?? '',
              providerEventId: event.providerEventId,
              eventType: event.eventType || 'unknown',
              occurredAt: event.occurredAt,
              receivedAt: receivedAt.toISOString(),
              headers,
            },
            event.raw,
            receivedAt,
          ),
        ),
      );
      claimChecked = prepared.filter((p) => p.claimChecked).length;
      await sendAll(
        deps.queue,
        prepared.map((p) => p.entry),
        source.id,
      );
    } catch (error) {
      metrics.count('EnqueueFailed', source.id, events.length);
      logger.error('Enqueue failed; answering 503 so the provider retries', {
        source: source.id,
        correlation_id: dedupeKeys[0],
        events: events.length,
        error: (error as Error).message,
        errorName: (error as Error).name,
      });
      return serverError(source.id, 503, 'enqueue_failed', 'The events could not be queued; please retry');
    }

    if (claimChecked > 0) metrics.count('ClaimChecked', source.id, claimChecked);
    // One line per request, not per event (CloudWatch Logs bills every byte): a single event's key and type
    // as on the processor's lines; a batch's keys as an array (the runbook's by-key query matches both).
    // It is also the `Enqueued` metric (a metric filter reads `source` and `events`: lambdas/shared/log-metrics.ts).
    const [only] = events;
    logger.info(LOG_MESSAGES.webhookEnqueued, {
      [LOG_FIELDS.source]: source.id,
      [LOG_FIELDS.events]: events.length,
      ...(events.length === 1 && only
        ? { dedupeKey: dedupeKeys[0], eventType: only.eventType }
        : { dedupeKeys }),
      ...(claimChecked > 0 ? { claimChecked } : {}),
    });
    const receipt: Receipt = { received: events.length, eventIds: dedupeKeys };
    return acknowledge(source, receipt);
  }

  return {
    async handle(request) {
      try {
        return await handle(request);
      } catch (error) {
        logger.error('Unexpected ingest failure', { error: (error as Error).message });
        const sourceId = sourceIdOf(request);
        const dimension =
          sourceId !== undefined && deps.sources.has(sourceId) ? sourceId : UNKNOWN_SOURCE_DIMENSION;
        return serverError(dimension, 500, 'internal_error', 'Unexpected error; please retry');
      }
    },
  };
}
