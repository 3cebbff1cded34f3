/** Small helpers shared by the provider scheme tests (not a test file itself). */
import assert from 'node:assert/strict';
import type { ProviderScheme, RawRequest, Verdict } from '../../../lambdas/providers/types';

/** Builds a RawRequest; header names are lower-cased like the ingest adapter does. */
export function rawRequest(init: {
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  url?: string;
  method?: string;
}): RawRequest {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(init.headers ?? {})) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value : [value];
  }
  return {
    method: init.method ?? 'POST',
    url: init.url ?? 'https://hooks.example.com/prod/webhooks/source',
    headers,
    body: Buffer.isBuffer(init.body) ? init.body : Buffer.from(init.body ?? '', 'utf8'),
  };
}

/** The verdict's reason, or `accepted`. */
export function reasonOf(verdict: Verdict): string {
  return verdict.ok ? 'accepted' : verdict.reason;
}

/** Asserts a rejection whose message leaks none of the given strings (secrets, expected MACs). */
export function assertRejected(
  verdict: Verdict,
  reason: string,
  mustNotContain: readonly string[] = [],
): void {
  assert.equal(reasonOf(verdict), reason);
  if (verdict.ok) return;
  assert.ok(verdict.message.length > 0, 'a rejection explains itself');
  for (const secret of mustNotContain) {
    if (secret.length >= 4) assert.ok(!verdict.message.includes(secret), 'message leaks secret material');
  }
}

/** Runs `verify` with sensible defaults. */
export function verifyWith<O>(
  scheme: ProviderScheme<O>,
  request: RawRequest,
  init: { secrets: string[]; nowMs: number; toleranceSeconds?: number; options?: O },
): Verdict {
  return scheme.verify(request, {
    secrets: init.secrets,
    nowMs: init.nowMs,
    toleranceSeconds: init.toleranceSeconds ?? scheme.defaultToleranceSeconds ?? 300,
    options: init.options ?? ({} as O),
  });
}
