/**
 * Secret values from Secrets Manager, cached in memory per container with a short TTL so a rotation
 * is picked up within minutes without a call per request. Values are never logged.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface SecretSource {
  /** Active values of a secret, newest first. Throws `SecretUnavailableError` when it cannot be read. */
  getActiveSecrets(secretId: string): Promise<readonly string[]>;
}

export class SecretUnavailableError extends Error {
  override readonly name = 'SecretUnavailableError';
}

/**
 * A SecretString is either the secret itself or JSON `{"secrets": ["newest", "older", …]}` (several are
 * active while a provider rotates). CDP keys use `{"apiKey": "…"}` or the plain value.
 */
export function parseSecretString(secretString: string): string[] {
  const trimmed = secretString.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as { secrets?: unknown; secret?: unknown; apiKey?: unknown };
      if (Array.isArray(parsed.secrets)) {
        return parsed.secrets.filter((s): s is string => typeof s === 'string' && s.length > 0);
      }
      if (typeof parsed.secret === 'string') return [parsed.secret];
      if (typeof parsed.apiKey === 'string') return [parsed.apiKey];
      return [];
    } catch {
      return [secretString];
    }
  }
  return trimmed === '' ? [] : [secretString];
}

export class CachedSecretsManagerSource implements SecretSource {
  private readonly cache = new Map<string, { values: readonly string[]; fetchedAtMs: number }>();

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async getActiveSecrets(secretId: string): Promise<readonly string[]> {
    const cached = this.cache.get(secretId);
    if (cached && this.now() - cached.fetchedAtMs < this.ttlMs) return cached.values;
    try {
      const result = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
      const values = parseSecretString(result.SecretString ?? '');
      this.cache.set(secretId, { values, fetchedAtMs: this.now() });
      return values;
    } catch (error) {
      // A stale value beats an outage: keep serving the last known secrets if Secrets Manager blips.
      if (cached) return cached.values;
      throw new SecretUnavailableError(`Could not read secret ${secretId}: ${(error as Error).name}`);
    }
  }

  /** Forgets cached values (tests, or after a 401 storm suggests a rotation). */
  clear(): void {
    this.cache.clear();
  }
}
