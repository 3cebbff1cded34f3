/**
 * The runtime view of a webhook source: what the ingest and processor Lambdas need to know about it.
 * Declared once in `lib/pipeline-config.ts`, validated there, and handed to the functions as the
 * `PIPELINE_SOURCES` environment variable (non-secret data and secret ARNs only).
 */
import type { ProviderId } from '../providers/types';
import { ENV } from './schema';

export interface SourceConfig {
  /** URL path segment: `POST /webhooks/{id}`. Lower-case letters, digits and dashes. */
  readonly id: string;
  readonly provider: ProviderId;
  /**
   * Secrets Manager secret id/ARN holding the source's active signing secret(s). Its SecretString is either
   * the secret itself or JSON `{"secrets": ["newest", "older"]}` (several during a rotation).
   */
  readonly secretId: string;
  /** Exact public URL the provider calls; required by URL-bound schemes behind stages or custom domains. */
  readonly publicUrl?: string;
  /** Optional IPv4/IPv6 CIDR allowlist of callers; others get 403. */
  readonly allowedCidrs?: readonly string[];
  /** Replay window for timestamped schemes, seconds; the scheme's default when unset. */
  readonly toleranceSeconds?: number;
  /** How long the processor remembers an event id; at least the provider's retry horizon. @default 96 */
  readonly dedupeTtlHours?: number;
  /** Largest accepted body in bytes; larger bodies get 413. */
  readonly maxBodyBytes?: number;
  /** Scheme-specific options (generic-hmac layout, Twilio body mode, …). */
  readonly options?: Readonly<Record<string, unknown>>;
}

export const DEFAULT_DEDUPE_TTL_HOURS = 96;
/** API Gateway's own payload limit is 10 MB (HTTP API) / 10 MB (REST); our default cap is far lower. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const SOURCES_ENV = ENV.sources;

const SOURCE_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Parses and checks the `PIPELINE_SOURCES` JSON; throws with every problem listed (cold start fails fast). */
export function parseSources(json: string): ReadonlyMap<string, SourceConfig> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`${SOURCES_ENV} is not valid JSON`);
  }
  if (!Array.isArray(parsed)) throw new Error(`${SOURCES_ENV} must be a JSON array of sources`);
  const sources = new Map<string, SourceConfig>();
  for (const [index, candidate] of parsed.entries()) {
    const source = candidate as SourceConfig;
    if (typeof source?.id !== 'string' || !SOURCE_ID.test(source.id)) {
      throw new Error(`${SOURCES_ENV}[${index}].id must match ${SOURCE_ID}`);
    }
    if (typeof source.provider !== 'string') throw new Error(`source ${source.id}: provider is required`);
    if (typeof source.secretId !== 'string' || source.secretId === '') {
      throw new Error(`source ${source.id}: secretId is required`);
    }
    if (sources.has(source.id)) throw new Error(`source ${source.id} is declared twice`);
    sources.set(source.id, source);
  }
  return sources;
}
