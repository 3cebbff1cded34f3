/**
 * What counts as a secret value at all, in one place for every layer that handles one: the secret cache
 * (parsing SecretStrings), the ingest (before verification) and the provider schemes' key preparation.
 * Pure, with no AWS import, so provider modules can use it.
 */

/**
 * Whether a value may be used as a secret. An empty or whitespace-only value never verifies anything: an
 * HMAC keyed with '' is computable by anyone, and a templated `put-secret-value` with an unset variable
 * produces exactly that.
 */
export function isUsableSecret(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}
