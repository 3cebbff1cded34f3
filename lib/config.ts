/**
 * The pipeline's typed configuration: declared once (lib/pipeline-config.ts), validated here, used by
 * the CDK app (bin/app.ts) and by local mode (local/start.ts). Non-secret data only: secret values live
 * in Secrets Manager.
 *
 * This module has no AWS CDK import on purpose: local mode and the CLI read it without loading the CDK.
 */

import { parseCidr } from '../lambdas/ingest/cidr';
import {
  DEFAULT_BACKOFF,
  longestRetrySpanSeconds,
  MAX_VISIBILITY_SECONDS,
  visibilityCeilingSeconds,
} from '../lambdas/processor/backoff';
import { schemeFor } from '../lambdas/providers/index';
import { QUEUE_DEFAULTS } from '../lambdas/shared/schema';
import type { SourceConfig } from '../lambdas/shared/source-config';

/** A webhook source as declared by the operator. */
export interface SourceDefinition extends Omit<SourceConfig, 'secretId'> {
  /**
   * ARN of an existing Secrets Manager secret with the source's signing secret(s). When unset, the stack
   * creates one per source holding a generated random value (`{"secret":"…"}`); replace it with the
   * provider's secret after the first deploy (see README, Deploy).
   */
  readonly existingSecretArn?: string;
  /** Raise an alarm when no webhook arrives from this source for this many minutes (missing data breaches). */
  readonly expectEventsWithinMinutes?: number;
}

export interface CdpConfig {
  /** Base URL of the CDP records API, e.g. `https://api.example-cdp.com/public/v1`. */
  readonly baseUrl: string;
  /** ARN of an existing secret holding the CDP API key; the stack creates one when unset. */
  readonly existingApiKeySecretArn?: string;
}

/**
 * What providers call. `http-api`: API Gateway HTTP API (cheapest, lowest latency). `rest-api`: API
 * Gateway REST API behind an AWS WAF web ACL (rate-based rule, optional IP allowlist). `function-url`: the
 * ingest function's own Lambda Function URL (no per-request front-door charge; no stage throttling, no WAF
 * unless placed behind CloudFront; the function's reserved concurrency bounds it).
 */
export type FrontDoor = 'http-api' | 'rest-api' | 'function-url';

/** API Gateway throttling of the webhook route (token bucket per stage/route). */
export interface ThrottlingConfig {
  /** Steady-state requests per second. @default 100 */
  readonly rateLimit?: number;
  /** Burst capacity in requests. @default 200 */
  readonly burstLimit?: number;
}

/** AWS WAF settings; only valid with `frontDoor: 'rest-api'`. */
export interface WafConfig {
  /** Requests per client IP per 5 minutes before WAF blocks that IP. @default 10000 */
  readonly rateLimitPer5Minutes?: number;
  /**
   * IPv4/IPv6 CIDRs allowed to call the API at all (e.g. the providers' published ranges); everything
   * else is blocked by WAF. @default - every address may call (signatures still checked)
   */
  readonly allowedCidrs?: readonly string[];
}

/** Overrides of the queue and event source mapping defaults (`QUEUE_DEFAULTS` in lambdas/shared/schema.ts). */
export interface QueueOverrides {
  /** Processor Lambda timeout in seconds. @default 30 */
  readonly processorTimeoutSeconds?: number;
  /** Main queue visibility timeout in seconds; at least 6x the processor timeout. @default 6x processor timeout */
  readonly visibilityTimeoutSeconds?: number;
  /** Receives before SQS moves a message to the DLQ. @default 12 (2.4-3.4 h of retries) */
  readonly maxReceiveCount?: number;
  /** Event source mapping batch size. @default 10 */
  readonly batchSize?: number;
  /** Event source mapping batching window in seconds. @default 1 */
  readonly maxBatchingWindowSeconds?: number;
  /** Most concurrent processor invocations: protects the CDP's rate limit. @default 5 */
  readonly maxConcurrency?: number;
  /** Main queue retention in days; longer than maxReceiveCount x 12 h plus a day. @default 7 */
  readonly mainRetentionDays?: number;
  /** DLQ retention in days; longer than the main queue's. @default 14 */
  readonly dlqRetentionDays?: number;
  /** Bodies larger than this go to the claim-check bucket. @default 262144 */
  readonly claimCheckThresholdBytes?: number;
  /** Days before claim-check objects expire; must outlive the DLQ retention. @default DLQ retention + 1 */
  readonly claimCheckExpirationDays?: number;
}

/** Alarm thresholds and notification target. */
export interface AlarmConfig {
  /** E-mail address subscribed to the alarm topic (confirm the subscription e-mail). @default - no subscription */
  readonly email?: string;
  /** Age in seconds of the oldest main-queue message that raises an alarm. @default 900 */
  readonly oldestMessageAgeSeconds?: number;
  /** Signature rejections per 5 minutes that raise an alarm (a spike means a bad secret or an attack). @default 25 */
  readonly rejectionsPer5Minutes?: number;
  /** Failed CDP deliveries per 5 minutes that raise an alarm. @default 10 */
  readonly cdpFailuresPer5Minutes?: number;
  /** API 5xx responses per 5 minutes that raise an alarm. @default 5 */
  readonly api5xxPer5Minutes?: number;
}

/**
 * A custom domain for the webhook API, so the URL registered with providers survives an API replacement, a
 * blue/green stack or a region move. Both API Gateway front doors use a REGIONAL custom domain mapped at
 * the root (`https://<domainName>/webhooks/<sourceId>`); a Function URL cannot carry one (that would need
 * CloudFront). Point DNS at the `CustomDomainTarget` output (alias or CNAME), or set `hostedZone`.
 */
export interface CustomDomainConfig {
  /** The host providers call, e.g. `webhooks.example.com` (lower case, no wildcard, no trailing dot). */
  readonly domainName: string;
  /**
   * ARN of an issued ACM certificate covering `domainName`, in the SAME region as the stack: regional
   * custom domains (HTTP API, REST regional) take only a certificate of their own region (us-east-1 is
   * only for edge-optimized endpoints, which this stack does not create).
   */
  readonly certificateArn: string;
  /**
   * A Route 53 public hosted zone in this account holding `domainName`: the stack then creates the alias A
   * record itself. @default - no DNS record; create an alias (or CNAME) to the `CustomDomainTarget` output
   */
  readonly hostedZone?: {
    /** e.g. `Z0123456789ABCDEFGHIJ`. */
    readonly hostedZoneId: string;
    /** The zone's name, e.g. `example.com`; `domainName` must be inside it. */
    readonly zoneName: string;
  };
}

export interface PipelineConfig {
  readonly sources: readonly SourceDefinition[];
  readonly cdp: CdpConfig;
  /** @default 'http-api' */
  readonly frontDoor?: FrontDoor;
  /** @default { rateLimit: 100, burstLimit: 200 } */
  readonly throttling?: ThrottlingConfig;
  /**
   * Stable webhook URLs on your own domain (API Gateway front doors only). @default - only the
   * `execute-api` URLs, which change whenever the API is replaced
   */
  readonly customDomain?: CustomDomainConfig;
  /** Only with `frontDoor: 'rest-api'`. @default { rateLimitPer5Minutes: 10000 } when the REST API is used */
  readonly waf?: WafConfig;
  /** @default QUEUE_DEFAULTS */
  readonly queue?: QueueOverrides;
  /** @default thresholds listed in {@link AlarmConfig}, no e-mail */
  readonly alarms?: AlarmConfig;
  /** CloudWatch Logs retention of every log group, in days (a value CloudWatch accepts). @default 30 */
  readonly logRetentionDays?: number;
  /**
   * Keep the state table, the claim-check bucket and the created secrets when the stack is deleted.
   * @default true
   */
  readonly retainDataOnDelete?: boolean;
  /**
   * CloudFormation termination protection on the stack: deleting it (`cdk destroy`, the console) fails
   * until this is turned off, so one mistaken command cannot delete the live pipeline's API (its URLs
   * are registered with every provider), queues and, with `retainDataOnDelete: false`, its data. Set
   * `false` for throwaway stacks. @default true
   */
  readonly terminationProtection?: boolean;
  /**
   * AWS X-Ray tracing of both functions with Powertools Tracer, linked across the queue (README "Tracing"
   * gives the cost and the cold-start effect). Off, the tracer is not even bundled. @default false
   */
  readonly tracing?: boolean;
}

/** The configuration with every default applied; what the constructs consume. */
export interface ResolvedPipelineConfig {
  readonly sources: readonly SourceDefinition[];
  readonly cdp: CdpConfig;
  readonly frontDoor: FrontDoor;
  readonly throttling: Required<ThrottlingConfig>;
  /** Undefined when no custom domain is configured. */
  readonly customDomain: CustomDomainConfig | undefined;
  /** Undefined with the HTTP API. */
  readonly waf:
    | { readonly rateLimitPer5Minutes: number; readonly allowedCidrs: readonly string[] }
    | undefined;
  readonly queue: Required<QueueOverrides>;
  readonly alarms: Required<Omit<AlarmConfig, 'email'>> & { readonly email: string | undefined };
  readonly logRetentionDays: number;
  readonly retainDataOnDelete: boolean;
  readonly terminationProtection: boolean;
  readonly tracing: boolean;
}

/** The configuration breaks a rule; `problems` lists every broken rule, one sentence each. */
export class PipelineConfigError extends Error {
  override readonly name = 'PipelineConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid pipeline configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

export const DEFAULT_THROTTLING = { rateLimit: 100, burstLimit: 200 } as const;
export const DEFAULT_WAF_RATE_LIMIT_PER_5_MINUTES = 10_000;
export const DEFAULT_LOG_RETENTION_DAYS = 30;
export const DEFAULT_ALARMS = {
  oldestMessageAgeSeconds: 900,
  rejectionsPer5Minutes: 25,
  cdpFailuresPer5Minutes: 10,
  api5xxPer5Minutes: 5,
} as const;

/** Retention values CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const SOURCE_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** An ACM certificate ARN; the region (group 1) decides where it can be used. */
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:([a-z]{2,4}(?:-[a-z]+)+-\d):\d{12}:certificate\/[0-9a-f-]{36}$/;
/** One DNS label: letters, digits and inner dashes, 1-63 characters (IDNs in their xn-- form). */
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;
/** Lambda's synchronous payload limit is 6 MB and API Gateway base64-encodes binary bodies (4/3). */
export const MAX_BODY_BYTES_LIMIT = 4 * 1024 * 1024;
/** SQS takes 1 MiB per message; inline bodies are base64 (4/3) inside a JSON envelope with headers. */
export const MAX_CLAIM_CHECK_THRESHOLD_BYTES = 700 * 1024;
/** Metrics Insights alarms only evaluate the latest 3 hours of data. */
const MAX_SILENCE_MINUTES = 180;
const SECONDS_PER_DAY = 86_400;

function isInt(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/**
 * Whether a source `allowedCidrs` entry is one the ingest function accepts: decided by the very parser
 * the function runs (lambdas/ingest/cidr.ts), so synth and runtime can never disagree. A bare address is a
 * /32 or /128 there, and therefore here.
 */
export function isSourceCidr(value: string): boolean {
  try {
    parseCidr(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a `waf.allowedCidrs` entry is one an AWS WAF IP set takes: what the runtime parser accepts, in
 * WAF's stricter notation (an explicit prefix of 1 or more, no surrounding spaces, an IPv4 block written
 * as IPv4, since IPv4 and IPv6 go to separate IP sets).
 */
export function isWafCidr(value: string): boolean {
  if (value !== value.trim() || !value.includes('/')) return false;
  try {
    const { prefix, family } = parseCidr(value);
    return prefix >= 1 && (family === 'ipv6') === value.includes(':');
  } catch {
    return false;
  }
}

function resolveQueue(overrides: QueueOverrides | undefined): Required<QueueOverrides> {
  const processorTimeoutSeconds =
    overrides?.processorTimeoutSeconds ?? QUEUE_DEFAULTS.processorTimeoutSeconds;
  const dlqRetentionDays = overrides?.dlqRetentionDays ?? QUEUE_DEFAULTS.dlqRetentionDays;
  return {
    processorTimeoutSeconds,
    visibilityTimeoutSeconds:
      overrides?.visibilityTimeoutSeconds ??
      processorTimeoutSeconds * QUEUE_DEFAULTS.visibilityTimeoutMultiplier,
    maxReceiveCount: overrides?.maxReceiveCount ?? QUEUE_DEFAULTS.maxReceiveCount,
    batchSize: overrides?.batchSize ?? QUEUE_DEFAULTS.batchSize,
    maxBatchingWindowSeconds: overrides?.maxBatchingWindowSeconds ?? QUEUE_DEFAULTS.maxBatchingWindowSeconds,
    maxConcurrency: overrides?.maxConcurrency ?? QUEUE_DEFAULTS.maxConcurrency,
    mainRetentionDays: overrides?.mainRetentionDays ?? QUEUE_DEFAULTS.mainRetentionDays,
    dlqRetentionDays,
    claimCheckThresholdBytes: overrides?.claimCheckThresholdBytes ?? QUEUE_DEFAULTS.claimCheckThresholdBytes,
    claimCheckExpirationDays: overrides?.claimCheckExpirationDays ?? dlqRetentionDays + 1,
  };
}

/** Lambda allows 4 KB of environment variables in total; the sources JSON is the big one. */
const MAX_SOURCES_JSON_BYTES = 3000;
/** Length of a Secrets Manager ARN as it will appear in `PIPELINE_SOURCES`, for the size estimate. */
const SECRET_ARN_LENGTH = 100;

function sourceProblems(sources: readonly SourceDefinition[]): string[] {
  const problems: string[] = [];
  if (sources.length === 0) problems.push('sources: declare at least one source');
  const seen = new Set<string>();
  const outputIds = new Map<string, string>();
  for (const source of sources) {
    const at = `source "${source.id}"`;
    if (!SOURCE_ID.test(source.id)) {
      problems.push(`${at}: id must be lower-case letters, digits and dashes (1-63 chars, ${SOURCE_ID})`);
    }
    if (seen.has(source.id)) problems.push(`${at}: declared more than once`);
    seen.add(source.id);
    // Stack outputs are named after the id without dashes; two ids must not collapse to one name.
    const outputId = source.id.replace(/-/g, '');
    const clash = outputIds.get(outputId);
    if (clash !== undefined && clash !== source.id) {
      problems.push(`${at}: clashes with source "${clash}" once dashes are removed (stack output names)`);
    }
    outputIds.set(outputId, source.id);
    if (source.existingSecretArn !== undefined && !SECRET_ARN.test(source.existingSecretArn)) {
      problems.push(`${at}: existingSecretArn must be a Secrets Manager secret ARN`);
    }
    if (source.dedupeTtlHours !== undefined && !isInt(source.dedupeTtlHours, 1, 24 * 365)) {
      problems.push(`${at}: dedupeTtlHours must be a whole number of hours between 1 and 8760`);
    }
    if (source.maxBodyBytes !== undefined && !isInt(source.maxBodyBytes, 1, MAX_BODY_BYTES_LIMIT)) {
      problems.push(
        `${at}: maxBodyBytes must be between 1 and ${MAX_BODY_BYTES_LIMIT} (Lambda's 6 MB payload limit after base64)`,
      );
    }
    if (source.toleranceSeconds !== undefined && !isInt(source.toleranceSeconds, 1, 86_400)) {
      problems.push(`${at}: toleranceSeconds must be a whole number between 1 and 86400`);
    }
    for (const cidr of source.allowedCidrs ?? []) {
      if (!isSourceCidr(cidr)) problems.push(`${at}: allowedCidrs entry "${cidr}" is not a CIDR block`);
    }
    if (source.publicUrl !== undefined && !/^https:\/\/[^\s]+$/.test(source.publicUrl)) {
      problems.push(`${at}: publicUrl must be an https:// URL`);
    }
    if (source.publicUrl !== undefined && /[?#]/.test(source.publicUrl)) {
      // The query string is signed material (Twilio bodySHA256, url-token tokens): it must come from each
      // request, never from configuration, or a configured token would authenticate every request.
      problems.push(
        `${at}: publicUrl must be scheme, host and path only; the query string is taken from each request`,
      );
    }
    const scheme = schemeFor(source.provider);
    if (!scheme) {
      problems.push(`${at}: unknown provider "${String(source.provider)}"`);
    } else {
      for (const problem of scheme.validateOptions?.(source.options ?? {}) ?? []) {
        problems.push(`${at}: ${problem}`);
      }
    }
    const minutes = source.expectEventsWithinMinutes;
    if (minutes !== undefined && !(isInt(minutes, 5, MAX_SILENCE_MINUTES) && minutes % 5 === 0)) {
      problems.push(
        `${at}: expectEventsWithinMinutes must be a multiple of 5 between 5 and ${MAX_SILENCE_MINUTES} (Metrics Insights alarms see 3 hours)`,
      );
    }
  }
  const estimatedJson = JSON.stringify(
    sources.map(({ existingSecretArn: _a, expectEventsWithinMinutes: _m, ...rest }) => ({
      ...rest,
      secretId: 'x'.repeat(SECRET_ARN_LENGTH),
    })),
  );
  if (estimatedJson.length > MAX_SOURCES_JSON_BYTES) {
    problems.push(
      `sources: about ${estimatedJson.length} bytes of PIPELINE_SOURCES exceed the ${MAX_SOURCES_JSON_BYTES}-byte budget within Lambda's 4 KB environment limit; deploy several stacks`,
    );
  }
  return problems;
}

function queueProblems(queue: Required<QueueOverrides>): string[] {
  const problems: string[] = [];
  const minVisibility = queue.processorTimeoutSeconds * QUEUE_DEFAULTS.visibilityTimeoutMultiplier;
  if (!isInt(queue.processorTimeoutSeconds, 1, 900)) {
    problems.push('queue.processorTimeoutSeconds must be a whole number between 1 and 900 (Lambda maximum)');
  }
  if (!isInt(queue.visibilityTimeoutSeconds, 0, 43_200)) {
    problems.push('queue.visibilityTimeoutSeconds must be a whole number between 0 and 43200 (SQS maximum)');
  } else if (queue.visibilityTimeoutSeconds < minVisibility) {
    problems.push(
      `queue.visibilityTimeoutSeconds (${queue.visibilityTimeoutSeconds}) must be at least 6x the processor timeout (${minVisibility})`,
    );
  }
  if (!isInt(queue.maxReceiveCount, 1, 1000)) {
    problems.push('queue.maxReceiveCount must be a whole number between 1 and 1000');
  }
  if (!isInt(queue.batchSize, 1, 10_000))
    problems.push('queue.batchSize must be a whole number between 1 and 10000');
  if (!isInt(queue.maxBatchingWindowSeconds, 0, 300)) {
    problems.push('queue.maxBatchingWindowSeconds must be a whole number between 0 and 300');
  }
  if (queue.batchSize > 10 && queue.maxBatchingWindowSeconds < 1) {
    problems.push(
      'queue.batchSize above 10 requires queue.maxBatchingWindowSeconds of at least 1 (SQS rule)',
    );
  }
  if (!isInt(queue.maxConcurrency, 2, 1000)) {
    problems.push(
      'queue.maxConcurrency must be a whole number between 2 and 1000 (event source mapping limits)',
    );
  }
  if (!isInt(queue.mainRetentionDays, 1, 14)) {
    problems.push('queue.mainRetentionDays must be a whole number of days between 1 and 14');
  }
  if (!isInt(queue.dlqRetentionDays, 1, 14)) {
    problems.push('queue.dlqRetentionDays must be a whole number of days between 1 and 14');
  } else if (queue.dlqRetentionDays <= queue.mainRetentionDays) {
    problems.push(
      'queue.dlqRetentionDays must be longer than queue.mainRetentionDays: a standard queue DLQ keeps the original enqueue time',
    );
  }
  if (
    isInt(queue.visibilityTimeoutSeconds, 0, 43_200) &&
    visibilityCeilingSeconds(queue.visibilityTimeoutSeconds) < DEFAULT_BACKOFF.maxDelaySeconds
  ) {
    problems.push(
      `queue.visibilityTimeoutSeconds must leave room for the processor's backoff: at most ${MAX_VISIBILITY_SECONDS - DEFAULT_BACKOFF.maxDelaySeconds} (SQS counts its 12 h limit from the receive)`,
    );
  }
  // Every receive may hold a message up to SQS's 12 h limit (a long Retry-After); the message must reach
  // the DLQ before it could expire on the main queue, with a day to spare for backlogs between receives.
  const retrySpanSeconds = longestRetrySpanSeconds(queue.maxReceiveCount) + SECONDS_PER_DAY;
  if (queue.mainRetentionDays * SECONDS_PER_DAY < retrySpanSeconds) {
    problems.push(
      `queue.mainRetentionDays is too short for maxReceiveCount receives of up to 12 h each plus a day (${Math.ceil(retrySpanSeconds / SECONDS_PER_DAY)} days needed)`,
    );
  }
  if (!isInt(queue.claimCheckThresholdBytes, 1, MAX_CLAIM_CHECK_THRESHOLD_BYTES)) {
    problems.push(
      `queue.claimCheckThresholdBytes must be between 1 and ${MAX_CLAIM_CHECK_THRESHOLD_BYTES} (base64 body must fit a 1 MiB SQS message)`,
    );
  }
  if (!isInt(queue.claimCheckExpirationDays, 1, 3650)) {
    problems.push('queue.claimCheckExpirationDays must be a whole number of days between 1 and 3650');
  } else if (queue.claimCheckExpirationDays <= queue.dlqRetentionDays) {
    problems.push(
      'queue.claimCheckExpirationDays must be longer than queue.dlqRetentionDays, or redriven DLQ messages lose their bodies',
    );
  }
  return problems;
}

/** Whether `name` is a host name API Gateway accepts as a custom domain (no wildcard, no trailing dot). */
export function isCustomDomainName(name: string): boolean {
  const labels = name.split('.');
  return (
    name.length <= 253 &&
    labels.length >= 2 &&
    labels.every((label) => DNS_LABEL.test(label)) &&
    // The top-level domain is never all digits: `10.0.0.1` is an address, not a host name.
    !/^\d+$/.test(labels[labels.length - 1] ?? '')
  );
}

/** Where the stack is deployed, when the synthesizing app knows it (environment-agnostic stacks do not). */
export interface DeploymentEnvironment {
  /** A concrete region such as `eu-west-1`; undefined for an environment-agnostic stack. */
  readonly region?: string;
}

function customDomainProblems(
  domain: CustomDomainConfig,
  frontDoor: FrontDoor,
  environment: DeploymentEnvironment,
): string[] {
  const problems: string[] = [];
  if (frontDoor === 'function-url') {
    problems.push(
      "customDomain needs an API Gateway front door ('http-api' or 'rest-api'): a Lambda Function URL cannot carry a custom domain without CloudFront, which this stack does not create",
    );
  }
  if (!isCustomDomainName(domain.domainName)) {
    problems.push(
      `customDomain.domainName "${domain.domainName}" must be a lower-case host name such as webhooks.example.com (labels of letters, digits and inner dashes, no wildcard, no trailing dot)`,
    );
  }
  const certificate = CERTIFICATE_ARN.exec(domain.certificateArn);
  if (!certificate) {
    problems.push(
      'customDomain.certificateArn must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)',
    );
  } else if (environment.region !== undefined && certificate[1] !== environment.region) {
    problems.push(
      `customDomain.certificateArn is in ${certificate[1]} but the stack deploys to ${environment.region}: a regional API Gateway custom domain (HTTP API or REST regional) needs an ACM certificate in its own region (us-east-1 only serves edge-optimized endpoints, which this stack does not use)`,
    );
  }
  const zone = domain.hostedZone;
  if (zone !== undefined) {
    if (!HOSTED_ZONE_ID.test(zone.hostedZoneId)) {
      problems.push(
        'customDomain.hostedZone.hostedZoneId must be a Route 53 hosted zone id (Z followed by letters and digits)',
      );
    }
    if (!isCustomDomainName(zone.zoneName)) {
      problems.push(
        'customDomain.hostedZone.zoneName must be a host name without a trailing dot, e.g. example.com',
      );
    } else if (domain.domainName !== zone.zoneName && !domain.domainName.endsWith(`.${zone.zoneName}`)) {
      problems.push(
        `customDomain.domainName "${domain.domainName}" is not inside customDomain.hostedZone.zoneName "${zone.zoneName}"`,
      );
    }
  }
  return problems;
}

/**
 * Every rule the configuration breaks, one clear sentence each; empty when valid. Pure: used by the CDK
 * app, the stack constructor and local mode alike. `environment` adds the rules that need the target
 * region (the construct passes its stack's region when the app pins one).
 */
export function validatePipelineConfig(
  config: PipelineConfig,
  environment: DeploymentEnvironment = {},
): string[] {
  const problems = sourceProblems(config.sources);
  const frontDoor = config.frontDoor ?? 'http-api';
  if (frontDoor !== 'http-api' && frontDoor !== 'rest-api' && frontDoor !== 'function-url') {
    problems.push(`frontDoor must be 'http-api', 'rest-api' or 'function-url', got "${String(frontDoor)}"`);
  }
  if (config.customDomain !== undefined) {
    problems.push(...customDomainProblems(config.customDomain, frontDoor, environment));
  }
  if (frontDoor === 'function-url' && config.throttling !== undefined) {
    problems.push(
      "throttling applies to the API Gateway front doors; frontDoor 'function-url' has no stage throttle (the ingest's reserved concurrency bounds it): remove throttling or switch",
    );
  }
  if (!/^https:\/\/[^\s/]+(\/[^\s]*)?$/.test(config.cdp.baseUrl))
    problems.push('cdp.baseUrl must be an https:// URL');
  if (
    config.cdp.existingApiKeySecretArn !== undefined &&
    !SECRET_ARN.test(config.cdp.existingApiKeySecretArn)
  ) {
    problems.push('cdp.existingApiKeySecretArn must be a Secrets Manager secret ARN');
  }
  const rateLimit = config.throttling?.rateLimit ?? DEFAULT_THROTTLING.rateLimit;
  const burstLimit = config.throttling?.burstLimit ?? DEFAULT_THROTTLING.burstLimit;
  if (!(Number.isFinite(rateLimit) && rateLimit > 0))
    problems.push('throttling.rateLimit must be a positive number');
  if (!isInt(burstLimit, 1, 5000))
    problems.push('throttling.burstLimit must be a whole number between 1 and 5000');
  if (config.waf !== undefined && frontDoor !== 'rest-api') {
    problems.push(
      "waf applies only to frontDoor 'rest-api' (AWS WAF cannot protect an HTTP API); remove it or switch",
    );
  }
  const wafLimit = config.waf?.rateLimitPer5Minutes;
  if (wafLimit !== undefined && !isInt(wafLimit, 10, 2_000_000_000)) {
    problems.push('waf.rateLimitPer5Minutes must be a whole number between 10 and 2000000000');
  }
  for (const cidr of config.waf?.allowedCidrs ?? []) {
    if (!isWafCidr(cidr)) {
      problems.push(`waf.allowedCidrs entry "${cidr}" is not a CIDR block WAF accepts (prefix /1 or more)`);
    }
  }
  problems.push(...queueProblems(resolveQueue(config.queue)));
  const alarms = config.alarms;
  if (alarms?.email !== undefined && !EMAIL.test(alarms.email))
    problems.push('alarms.email is not an e-mail address');
  for (const key of [
    'oldestMessageAgeSeconds',
    'rejectionsPer5Minutes',
    'cdpFailuresPer5Minutes',
    'api5xxPer5Minutes',
  ] as const) {
    const value = alarms?.[key];
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      problems.push(`alarms.${key} must be a positive number`);
    }
  }
  const retention = config.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS;
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention)) {
    problems.push(`logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}`);
  }
  return problems;
}

/** Validates (throwing {@link PipelineConfigError} with every problem) and applies every default. */
export function resolvePipelineConfig(
  config: PipelineConfig,
  environment: DeploymentEnvironment = {},
): ResolvedPipelineConfig {
  const problems = validatePipelineConfig(config, environment);
  if (problems.length > 0) throw new PipelineConfigError(problems);
  const frontDoor = config.frontDoor ?? 'http-api';
  return {
    sources: config.sources,
    cdp: config.cdp,
    frontDoor,
    throttling: {
      rateLimit: config.throttling?.rateLimit ?? DEFAULT_THROTTLING.rateLimit,
      burstLimit: config.throttling?.burstLimit ?? DEFAULT_THROTTLING.burstLimit,
    },
    customDomain: config.customDomain,
    waf:
      frontDoor === 'rest-api'
        ? {
            rateLimitPer5Minutes: config.waf?.rateLimitPer5Minutes ?? DEFAULT_WAF_RATE_LIMIT_PER_5_MINUTES,
            allowedCidrs: config.waf?.allowedCidrs ?? [],
          }
        : undefined,
    queue: resolveQueue(config.queue),
    alarms: {
      email: config.alarms?.email,
      oldestMessageAgeSeconds:
        config.alarms?.oldestMessageAgeSeconds ?? DEFAULT_ALARMS.oldestMessageAgeSeconds,
      rejectionsPer5Minutes: config.alarms?.rejectionsPer5Minutes ?? DEFAULT_ALARMS.rejectionsPer5Minutes,
      cdpFailuresPer5Minutes: config.alarms?.cdpFailuresPer5Minutes ?? DEFAULT_ALARMS.cdpFailuresPer5Minutes,
      api5xxPer5Minutes: config.alarms?.api5xxPer5Minutes ?? DEFAULT_ALARMS.api5xxPer5Minutes,
    },
    logRetentionDays: config.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS,
    retainDataOnDelete: config.retainDataOnDelete ?? true,
    terminationProtection: config.terminationProtection ?? true,
    tracing: config.tracing ?? false,
  };
}

/**
 * One deployment of the pipeline (an environment), chosen without editing code:
 * `npx cdk deploy -c stage=<name>` (lib/pipeline-config.ts declares them).
 */
export interface StageDefinition {
  /**
   * The CloudFormation stack name (and construct id). Keep it once deployed: another name is another
   * stack, with new URLs, an empty state table and fresh secrets.
   */
  readonly stackName: string;
  /**
   * A production stage: termination protection is on unless its config says `terminationProtection:
   * false`. Non-production stages default to off, so throwaway stacks can be destroyed.
   */
  readonly production: boolean;
  readonly config: PipelineConfig;
}

/** The context key choosing the stage: `-c stage=<name>`. */
export const STAGE_CONTEXT_KEY = 'stage';
const STAGE_NAME = /^[a-z][a-z0-9-]{0,31}$/;
/** CloudFormation stack names: a letter, then letters, digits and dashes, at most 128 characters. */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/** Problems of the stage map itself (names, stack names); each stage's config has its own validator. */
export function stageMapProblems(stages: Readonly<Record<string, StageDefinition>>): string[] {
  const problems: string[] = [];
  const names = Object.keys(stages);
  if (names.length === 0) problems.push('stages: declare at least one stage');
  const byStackName = new Map<string, string>();
  for (const [name, stage] of Object.entries(stages)) {
    if (!STAGE_NAME.test(name)) {
      problems.push(`stage "${name}": name must be lower-case letters, digits and dashes (${STAGE_NAME})`);
    }
    if (!STACK_NAME.test(stage.stackName)) {
      problems.push(
        `stage "${name}": stackName "${stage.stackName}" must start with a letter and hold only letters, digits and dashes (at most 128)`,
      );
    }
    const clash = byStackName.get(stage.stackName);
    if (clash !== undefined) {
      problems.push(`stage "${name}": stackName "${stage.stackName}" is already used by stage "${clash}"`);
    }
    byStackName.set(stage.stackName, name);
  }
  return problems;
}

/** A chosen stage, its config carrying the stage's termination protection default. */
export interface SelectedStage {
  readonly name: string;
  readonly stackName: string;
  readonly config: PipelineConfig;
}

/**
 * The stage called `name`, or {@link PipelineConfigError} naming the stages there are. The returned config
 * is validated where it is used (the construct), like every other config.
 */
export function selectStage(stages: Readonly<Record<string, StageDefinition>>, name: string): SelectedStage {
  const problems = stageMapProblems(stages);
  const stage = Object.hasOwn(stages, name) ? stages[name] : undefined;
  if (stage === undefined) {
    problems.push(
      `unknown stage "${name}": choose one of ${Object.keys(stages).join(', ')} (npx cdk synth -c ${STAGE_CONTEXT_KEY}=<name>)`,
    );
  }
  if (problems.length > 0 || stage === undefined) throw new PipelineConfigError(problems);
  return {
    name,
    stackName: stage.stackName,
    config: {
      ...stage.config,
      terminationProtection: stage.config.terminationProtection ?? stage.production,
    },
  };
}
