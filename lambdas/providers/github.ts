/**
 * GitHub webhooks: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, keyed with the webhook
 * secret as UTF-8. The legacy `X-Hub-Signature: sha1=<hex HMAC-SHA1>` is accepted only when the source
 * sets `options.allowSha1: true` (SHA-1 HMACs are still unforgeable, but GitHub sends the SHA-256 header on
 * every delivery, so falling back to SHA-1 silently would only widen what an attacker may try).
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/github/): GitHub docs "Validating webhook deliveries" and "Webhook events and
 * payloads" > "Delivery headers": `X-Hub-Signature-256: sha256=<hex>` on every delivery of a webhook with a
 * secret, plus the legacy `X-Hub-Signature: sha1=<hex>`; `X-GitHub-Delivery` (GUID), `X-GitHub-Event`,
 * `X-GitHub-Hook-ID`, `X-GitHub-Hook-Installation-Target-Type/-ID`, `User-Agent: GitHub-Hookshot/…`; no
 * timestamp. The docs' test values verify in the corpus. Matches.
 *
 * GitHub signs no timestamp, so there is no replay window; replays are absorbed by dedupe. The signature
 * covers the body only: `X-GitHub-Delivery`, `X-GitHub-Event` and `X-GitHub-Hook-ID` are not signed, so
 * anyone holding one captured delivery could resend the same bytes with a fresh delivery id (each would be
 * a new event) or another event name. The event id is therefore `github-body:<sha256 of the body>`: a
 * redelivery (GitHub resends the same body with the same `X-GitHub-Delivery`) and any replay with
 * rewritten headers get the same id, so the processor absorbs them. Two genuinely different GitHub events
 * never share a body (each payload names its action, objects and their `updated_at`/commit ids); the same
 * event delivered by two hooks of the same repository to one source is one event. The delivery id stays
 * in the envelope's headers for logs.
 *
 * Hex is compared as bytes, so upper-case hex of the right MAC is accepted (@octokit/webhooks-methods
 * compares the text and would refuse it).
 *
 * Events: one per request; id = `github-body:<sha256 of the body>`, type = `X-GitHub-Event` plus `.action`
 * from the body when it has one (`issues.opened`), occurredAt unknown (GitHub sends no event time for every
 * event kind). The type is a label only: it is not part of the dedupe key (a rewritten event name cannot
 * make a second event) and GitHub events have no dedicated mapping (every type is the same `events`
 * append), so an unsigned name cannot choose a different effect.
 * Form-encoded deliveries (`payload=<json>`) are understood as well.
 */
import {
  ACCEPTED,
  anySignatureMatches,
  asRecord,
  asString,
  type Digest,
  decodeHex,
  hmac,
  optionalHeader,
  parseJson,
  reject,
  requireBody,
  requireSecrets,
  signedContentId,
  singleHeaderValue,
} from './common';
import type { Extraction, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

/** Options of a GitHub source. */
export interface GithubOptions {
  /** Accept the legacy `X-Hub-Signature: sha1=…` when `X-Hub-Signature-256` is absent. @default false */
  readonly allowSha1?: boolean;
}

const SHA256_HEADER = 'X-Hub-Signature-256';
const SHA1_HEADER = 'X-Hub-Signature';
const SHA256_KEY = SHA256_HEADER.toLowerCase();
const SHA1_KEY = SHA1_HEADER.toLowerCase();

function checkSignature(
  request: RawRequest,
  secrets: readonly string[],
  header: string,
  value: string,
  algorithm: Digest,
): Verdict {
  const eq = value.indexOf('=');
  const scheme = eq > 0 ? value.slice(0, eq) : '';
  if (scheme !== algorithm) {
    return reject('unsupported_signature_version', `${header} must start with ${algorithm}=`);
  }
  const decoded = decodeHex(value.slice(eq + 1));
  if (decoded?.length !== (algorithm === 'sha1' ? 20 : 32)) {
    return reject('malformed_signature', `${header} is not a hex HMAC-${algorithm.toUpperCase()}`);
  }
  const matched = anySignatureMatches(secrets, [decoded], (secret) => hmac(algorithm, secret, request.body));
  return matched ? ACCEPTED : reject('signature_mismatch', `${header} does not match`);
}

function verify(request: RawRequest, context: VerifyContext<GithubOptions>): Verdict {
  const noSecret = requireSecrets(context.secrets);
  if (noSecret) return noSecret;
  const emptyBody = requireBody(request);
  if (emptyBody) return emptyBody;
  if (request.headers[SHA256_KEY] !== undefined) {
    const header = singleHeaderValue(request, SHA256_KEY, SHA256_HEADER, 'missing_signature');
    if (!header.ok) return header;
    return checkSignature(request, context.secrets, SHA256_HEADER, header.value, 'sha256');
  }
  if (request.headers[SHA1_KEY] !== undefined) {
    if (asRecord(context.options)?.allowSha1 !== true) {
      return reject(
        'unsupported_signature_version',
        `Only ${SHA1_HEADER} (sha1) was sent and this source does not allow SHA-1`,
      );
    }
    const header = singleHeaderValue(request, SHA1_KEY, SHA1_HEADER, 'missing_signature');
    if (!header.ok) return header;
    return checkSignature(request, context.secrets, SHA1_HEADER, header.value, 'sha1');
  }
  return reject('missing_signature', `Missing ${SHA256_HEADER} header`);
}

/** The payload object of a JSON or `application/x-www-form-urlencoded` (`payload=`) delivery. */
function payloadOf(request: RawRequest): Record<string, unknown> | undefined {
  const json = asRecord(parseJson(request.body));
  if (json) return json;
  const form = new URLSearchParams(request.body.toString('utf8')).get('payload');
  return form === null ? undefined : asRecord(parseJson(Buffer.from(form, 'utf8')));
}

function extract(request: RawRequest): Extraction {
  const event = optionalHeader(request, 'X-GitHub-Event');
  const payload = payloadOf(request);
  if (!event && !payload) {
    return { ok: false, reason: 'unusable_payload', message: 'GitHub delivery has no event name or payload' };
  }
  const action = asString(payload?.action);
  const base = event ?? 'unknown';
  return {
    ok: true,
    events: [
      {
        providerEventId: signedContentId('github-body', request.body),
        eventType: action ? `${base}.${action}` : base,
        occurredAt: undefined,
        raw: request.body,
      },
    ],
  };
}

function validateOptions(options: unknown): string[] {
  const record = asRecord(options);
  if (options !== undefined && !record) return ['github options must be an object'];
  const allowSha1 = record?.allowSha1;
  return allowSha1 === undefined || typeof allowSha1 === 'boolean'
    ? []
    : ['github allowSha1 must be a boolean'];
}

/** GitHub `X-Hub-Signature-256` (HMAC-SHA256 hex of the body), optional legacy SHA-1. */
export const github: ProviderScheme<GithubOptions> = {
  id: 'github',
  validateOptions,
  verify,
  extract,
};
