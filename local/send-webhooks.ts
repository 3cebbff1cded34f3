/**
 * Signs and posts sample deliveries to a running local pipeline, like `stripe trigger`: the CLI in
 * `local/send.ts`, the end-to-end tests and the chaos/drill scripts all go through here.
 */
import type { ProviderId } from '../lambdas/providers/types';
import type { SourceDefinition } from '../lib/config';
import { pipelineConfig } from '../lib/pipeline-config';
import {
  fixtureNames,
  loadFixture,
  type RenderedFixture,
  renderFixture,
  type WebhookFixture,
} from './fixtures';
import { type LocalSecretsFile, readSecretsForSending, signingKeyOf } from './local-secrets';
import { SIGNERS } from './signers';

export const DEFAULT_LOCAL_URL = 'http://localhost:3000';

/** Thrown for a request `send` cannot make; the message lists what is available. */
export class SendUsageError extends Error {
  override readonly name = 'SendUsageError';
}

/** A source by id, else the first source of that provider. */
export function resolveSource(target: string, sources: readonly SourceDefinition[]): SourceDefinition {
  const found = sources.find((s) => s.id === target) ?? sources.find((s) => s.provider === target);
  if (found) return found;
  const known = sources.map((s) => (s.id === s.provider ? s.id : `${s.id} (${s.provider})`)).join(', ');
  throw new SendUsageError(
    `No source or provider "${target}" in lib/pipeline-config.ts. Configured: ${known}`,
  );
}

export interface SignedDelivery {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** Signs one rendered fixture for a source at `nowMs`: the request a provider would send. */
export function signDelivery(
  source: SourceDefinition,
  rendered: RenderedFixture,
  signingKey: string,
  baseUrl: string,
  nowMs = Date.now(),
): SignedDelivery {
  const url = `${baseUrl.replace(/\/+$/, '')}/webhooks/${source.id}`;
  return signDeliveryTo(source.provider, url, rendered, signingKey, nowMs);
}

/**
 * Signs one rendered fixture for the exact URL it is posted to (URL-bound schemes sign it): local mode's
 * URL, or a deployed source's registered URL (`webhooks send`).
 */
export function signDeliveryTo(
  provider: ProviderId,
  url: string,
  rendered: RenderedFixture,
  signingKey: string,
  nowMs = Date.now(),
): SignedDelivery {
  const signer = SIGNERS[provider];
  if (!signer) throw new SendUsageError(`send cannot sign ${provider} deliveries`);
  const signed = signer({
    body: rendered.body,
    url,
    signingKey,
    nowMs,
    contentType: rendered.contentType,
    ...(rendered.headers['webhook-id'] ? { deliveryId: rendered.headers['webhook-id'] } : {}),
  });
  return {
    url: signed.url,
    headers: { 'Content-Type': rendered.contentType, ...rendered.headers, ...signed.headers },
    body: rendered.body,
  };
}

export interface SendOptions {
  /** A source id, or a provider (its first source). */
  readonly target: string;
  /** Fixture name; the provider's first fixture when unset. */
  readonly event?: string;
  /** @default DEFAULT_LOCAL_URL */
  readonly baseUrl?: string;
  /** Distinct events to send. @default 1 */
  readonly count?: number;
  /** Send every event a second time, re-signed, as a provider retry would. @default false */
  readonly duplicate?: boolean;
  /** @default pipelineConfig.sources */
  readonly sources?: readonly SourceDefinition[];
  /** @default local/secrets.local.json, else the example */
  readonly secrets?: LocalSecretsFile;
  /** Called after each request. */
  readonly onSent?: (sent: SentDelivery) => void;
}

export interface SentDelivery {
  readonly sourceId: string;
  readonly event: string;
  readonly url: string;
  readonly status: number;
  readonly responseBody: string;
  /** True for the re-sent copy of an event. */
  readonly duplicate: boolean;
  /** The body that was sent, for tests that look for its ids downstream. */
  readonly body: Buffer;
}

/** POSTs a signed delivery as a provider would (giving up after 35 s); the status and the response text. */
export async function postDelivery(delivery: SignedDelivery): Promise<{ status: number; body: string }> {
  const response = await fetch(delivery.url, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
    signal: AbortSignal.timeout(35_000),
  });
  return { status: response.status, body: await response.text() };
}

async function post(delivery: SignedDelivery): Promise<{ status: number; body: string }> {
  try {
    return await postDelivery(delivery);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    if (cause?.code === 'ECONNREFUSED') {
      throw new SendUsageError(
        `Nothing is listening on ${new URL(delivery.url).origin}. Start local mode first (npm start), or pass --url.`,
      );
    }
    throw error;
  }
}

/** A provider's sample event by name (its first when unset); a usage error lists what is available. */
export function loadSample(provider: ProviderId, event?: string): WebhookFixture {
  const name = event ?? fixtureNames(provider)[0];
  if (!name) throw new SendUsageError(`No sample events for ${provider} under test/fixtures/webhooks`);
  try {
    return loadFixture(provider, name);
  } catch (error) {
    throw new SendUsageError((error as Error).message);
  }
}

/** Renders, signs and posts sample events; returns what each request got back. */
export async function sendSampleEvents(options: SendOptions): Promise<SentDelivery[]> {
  const sources = options.sources ?? pipelineConfig.sources;
  const source = resolveSource(options.target, sources);
  const fixture = loadSample(source.provider, options.event);
  const event = fixture.name;
  const secrets = options.secrets ?? readSecretsForSending().file;
  const entry = secrets.sources[source.id];
  if (!entry) {
    throw new SendUsageError(
      `No local secret for source "${source.id}". Run npm start once (it adds missing sources to local/secrets.local.json).`,
    );
  }
  const signingKey = signingKeyOf(entry);
  const baseUrl = options.baseUrl ?? DEFAULT_LOCAL_URL;
  const count = options.count ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new SendUsageError('--count must be a positive integer');

  const results: SentDelivery[] = [];
  for (let i = 0; i < count; i += 1) {
    const rendered = renderFixture(fixture);
    const copies = options.duplicate ? [false, true] : [false];
    for (const duplicate of copies) {
      const delivery = signDelivery(source, rendered, signingKey, baseUrl);
      const answer = await post(delivery);
      const sent: SentDelivery = {
        sourceId: source.id,
        event,
        url: delivery.url,
        status: answer.status,
        responseBody: answer.body,
        duplicate,
        body: delivery.body,
      };
      options.onSent?.(sent);
      results.push(sent);
    }
  }
  return results;
}
