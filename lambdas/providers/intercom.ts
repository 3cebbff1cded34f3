/**
 * Intercom (`X-Hub-Signature: sha1=<hex>`): HMAC-SHA1, hex, keyed with the app's `client_secret` (UTF-8)
 * over the body. No timestamp is signed, so no replay window: dedupe on the notification `id` is the defence.
 *
 * Events: one per request, id = `id` (`notif_…`), type = `topic`, occurredAt = `created_at` (epoch s).
 */
import {
  ACCEPTED,
  anySignatureMatches,
  asRecord,
  asString,
  decodeHex,
  hmac,
  parseJson,
  reject,
  requireBody,
  requireSecrets,
  singleHeader,
  toIso,
} from './common';
import type { Extraction, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

const SIGNATURE_HEADER = 'X-Hub-Signature';

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const noSecret = requireSecrets(context.secrets);
  if (noSecret) return noSecret;
  const emptyBody = requireBody(request);
  if (emptyBody) return emptyBody;
  const header = singleHeader(request, SIGNATURE_HEADER, 'missing_signature');
  if (!header.ok) return header;
  if (!header.value.startsWith('sha1=')) {
    return reject('unsupported_signature_version', `${SIGNATURE_HEADER} must start with sha1=`);
  }
  const candidate = decodeHex(header.value.slice('sha1='.length));
  if (candidate?.length !== 20)
    return reject('malformed_signature', `${SIGNATURE_HEADER} is not a hex HMAC-SHA1`);
  const matched = anySignatureMatches(context.secrets, [candidate], (secret) =>
    hmac('sha1', secret, request.body),
  );
  return matched ? ACCEPTED : reject('signature_mismatch', `${SIGNATURE_HEADER} does not match`);
}

function extract(request: RawRequest): Extraction {
  const body = asRecord(parseJson(request.body));
  if (!body) return { ok: false, reason: 'unusable_payload', message: 'Intercom body is not a JSON object' };
  return {
    ok: true,
    events: [
      {
        providerEventId: asString(body.id),
        eventType: asString(body.topic) ?? 'unknown',
        occurredAt: toIso(body.created_at),
        raw: request.body,
      },
    ],
  };
}

/** Intercom webhook signature (HMAC-SHA1 of the body). */
export const intercom: ProviderScheme<unknown> = { id: 'intercom', verify, extract };
