/**
 * Secret values from Secrets Manager, cached in memory per container so a rotation is picked up within
 * minutes without a call per request, and so a Secrets Manager outage costs requests nothing until the
 * cached values are too old to trust. Values are never logged.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { isUsableSecret } from './secret-value';

export interface SecretSource {
  /**
   * Active values of a secret, newest first; never an empty or whitespace-only value (an empty result
   * means the secret holds no usable value). Throws `SecretUnavailableError` when it cannot be read.
   */
  getActiveSecrets(secretId: string): Promise<readonly string[]>;
}

export class SecretUnavailableError extends Error {
  override readonly name = 'SecretUnavailableError';
}

/**
 * A SecretString is either the secret itself or JSON `{"secrets": ["newest", "older", …]}` (several are
 * active while a provider rotates), `{"secret": "…"}` (what the stack generates), or `{"apiKey": "…"}` (the
 * CDP key). Empty and whitespace-only values are dropped, so `{"secret": ""}` is no secret at all.
 */
export function parseSecretString(secretString: string): string[] {
  const trimmed = secretString.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as { secrets?: unknown; secret?: unknown; apiKey?: unknown };
      if (Array.isArray(parsed.secrets)) return parsed.secrets.filter(isUsableSecret);
      if (parsed.secret !== undefined) return isUsableSecret(parsed.secret) ? [parsed.secret] : [];
      if (parsed.apiKey !== undefined) return isUsableSecret(parsed.apiKey) ? [parsed.apiKey] : [];
      return [];
    } catch {
      return [secretString];
    }
  }
  return isUsableSecret(secretString) ? [secretString] : [];
}

/** How the cache trades freshness against availability. Every duration is in milliseconds. */
export interface SecretCachePolicy {
  /** Values younger than this are served without asking Secrets Manager. @default 300000 (5 min) */
  readonly ttlMs: number;
  /**
   * Once the TTL has passed, the longest one request waits for the refresh before the cached values are
   * served anyway (the refresh goes on in the background). Only the first request of a refresh attempt
   * waits; a refresh already known to fail or to be slow is never waited on. @default 250
   */
  readonly refreshWaitMs: number;
  /** Least time between two attempts to read one secret after a failed attempt. @default 30000 */
  readonly retryIntervalMs: number;
  /**
   * Values older than this since their last successful read are no longer served: requests then fail
   * with `SecretUnavailableError` (503 `secret_unavailable`), so a rotated-out secret cannot stay valid
   * for the whole of a Secrets Manager outage. @default 3600000 (1 h; see README, secret rotation)
   */
  readonly maxStalenessMs: number;
}

export const DEFAULT_SECRET_CACHE_POLICY: SecretCachePolicy = {
  ttlMs: 5 * 60_000,
  refreshWaitMs: 250,
  retryIntervalMs: 30_000,
  maxStalenessMs: 60 * 60_000,
};

export interface CachedSecretsOptions extends Partial<SecretCachePolicy> {
  /** The clock that ages values and spaces attempts (injected by tests). @default Date.now */
  readonly now?: () => number;
}

interface Entry {
  /** The last values read successfully, and when (by `now`). */
  values?: readonly string[];
  fetchedAtMs?: number;
  /** When the latest attempt started; attempts after a failure are spaced by `retryIntervalMs`. */
  attemptedAtMs?: number;
  /** The latest finished attempt failed: nobody waits on the next one. */
  failing: boolean;
  /** A request already waited on the attempt in flight (and it was not answered in time). */
  waited: boolean;
  lastError?: string;
  inFlight?: Promise<void>;
}

/**
 * Stale-while-revalidate over GetSecretValue, one entry per secret:
 * - younger than `ttlMs`: served from memory;
 * - older, but within `maxStalenessMs` of the last successful read: a refresh starts (one in flight per
 *   secret, attempts after a failure at most every `retryIntervalMs`), the first request waits for it at
 *   most `refreshWaitMs`, and everyone is served the last known values meanwhile;
 * - nothing cached, or too old: the request waits for a read (bounded by the client's timeouts); after a
 *   failed attempt it waits at most `refreshWaitMs` for the next one, and fails at once while the retry
 *   interval runs.
 */
export class CachedSecretsManagerSource implements SecretSource {
  private entries = new Map<string, Entry>();
  private readonly policy: SecretCachePolicy;
  private readonly now: () => number;

  constructor(
    private readonly client: SecretsManagerClient,
    options: CachedSecretsOptions = {},
  ) {
    const { now, ...policy } = options;
    this.policy = { ...DEFAULT_SECRET_CACHE_POLICY, ...policy };
    this.now = now ?? Date.now;
  }

  async getActiveSecrets(secretId: string): Promise<readonly string[]> {
    const entry = this.entryOf(secretId);
    const usable = this.usableValues(entry);
    if (usable && this.now() - (entry.fetchedAtMs ?? 0) < this.policy.ttlMs) return usable;

    const refresh = this.refresh(secretId, entry);
    if (usable) {
      if (refresh && !entry.failing && !entry.waited) await this.waitBriefly(refresh, entry);
      return this.usableValues(entry) ?? usable;
    }
    // Nothing we may serve: wait for a read. After a failed one, only briefly (and only the first request
    // of an attempt), so an outage costs a cold container a fast 503, not the client's whole retry budget.
    if (refresh && !entry.failing) await refresh;
    else if (refresh && !entry.waited) await this.waitBriefly(refresh, entry);
    const values = this.usableValues(entry);
    if (values) return values;
    throw new SecretUnavailableError(
      `Could not read secret ${secretId}: ${entry.lastError ?? 'no successful read yet'}` +
        (entry.fetchedAtMs === undefined ? '' : ' (cached value older than the maximum staleness)'),
    );
  }

  /**
   * Forgets cached values (tests, or a CDP 401 that suggests the key was rotated): the next read waits for
   * Secrets Manager. What is known about failing attempts is kept, so a storm of 401s during an outage still
   * makes at most one attempt per retry interval instead of one full client retry budget per call.
   */
  clear(): void {
    const previous = this.entries;
    // Fresh entries: reads in flight write into the old ones, so none of their results comes back.
    this.entries = new Map();
    for (const [secretId, entry] of previous) {
      if (!entry.failing) continue;
      this.entries.set(secretId, {
        failing: true,
        waited: entry.waited,
        ...(entry.attemptedAtMs !== undefined ? { attemptedAtMs: entry.attemptedAtMs } : {}),
        ...(entry.lastError !== undefined ? { lastError: entry.lastError } : {}),
      });
    }
  }

  private entryOf(secretId: string): Entry {
    let entry = this.entries.get(secretId);
    if (!entry) {
      entry = { failing: false, waited: false };
      this.entries.set(secretId, entry);
    }
    return entry;
  }

  private usableValues(entry: Entry): readonly string[] | undefined {
    if (entry.values === undefined || entry.fetchedAtMs === undefined) return undefined;
    return this.now() - entry.fetchedAtMs <= this.policy.maxStalenessMs ? entry.values : undefined;
  }

  /** The attempt in flight, a new one, or undefined while a failed attempt's retry interval runs. */
  private refresh(secretId: string, entry: Entry): Promise<void> | undefined {
    if (entry.inFlight) return entry.inFlight;
    const startedAt = this.now();
    if (
      entry.failing &&
      entry.attemptedAtMs !== undefined &&
      startedAt - entry.attemptedAtMs < this.policy.retryIntervalMs
    ) {
      return undefined;
    }
    entry.attemptedAtMs = startedAt;
    entry.waited = false;
    const attempt = this.client
      .send(new GetSecretValueCommand({ SecretId: secretId }))
      .then(
        (result) => {
          entry.values = parseSecretString(result.SecretString ?? '');
          entry.fetchedAtMs = this.now();
          entry.failing = false;
          delete entry.lastError;
        },
        (error: unknown) => {
          // Only the error's name: messages can echo request details, never worth the risk in logs.
          entry.failing = true;
          entry.lastError = (error as Error)?.name ?? 'Error';
        },
      )
      .finally(() => {
        delete entry.inFlight;
      });
    entry.inFlight = attempt;
    return attempt;
  }

  private async waitBriefly(refresh: Promise<void>, entry: Entry): Promise<void> {
    entry.waited = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.policy.refreshWaitMs);
    });
    try {
      await Promise.race([refresh, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
