/**
 * Mailgun: the signature travels in the body, `signature.{timestamp, token, signature}` (JSON webhooks) or
 * the top-level `timestamp`, `token`, `signature` fields (legacy form-encoded webhooks). It is HMAC-SHA256,
 * hex, keyed with the account's webhook signing key (UTF-8) over `timestamp + token`.
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/mailgun/): Mailgun docs "Securing Webhooks": the body's `signature` object holds
 * `token` (50 characters), `timestamp` (epoch seconds; a JSON string in the example) and `signature` = hex
 * HMAC-SHA256 of timestamp + token with the webhook signing key, plus `parent-signature` for subaccounts;
 * the event data is not signed; caching tokens is recommended. Matches.
 *
 * The signature does **not** cover the event data: anyone holding one genuine request could swap the
 * event data (its `id` included) and replay it within the window. So the event data decides nothing about
 * identity: the id is `mailgun-token:<sha256 of timestamp:token>`, the signed part, and each signed
 * request has at most one effect however its data is rewritten, which is the single use of the token that
 * Mailgun's "Securing Webhooks" guide asks receivers to enforce. The replay window on the signed timestamp
 * (source tolerance, default 300 s, both directions) bounds how long a captured request is usable at all;
 * keep it short for Mailgun sources. Trade-off, stated: a Mailgun retry hours later can only pass a
 * five-minute window if it is signed anew (new timestamp and token), so a retry after a lost 2xx answer is
 * a second event. That takes a lost answer after a durable enqueue; keying on the unsigned
 * `event-data.id` instead would let anyone with one captured request inject any number of forged events
 * within the window.
 *
 * Subaccounts: for a subaccount's domain Mailgun adds `signature.parent-signature`, the same HMAC keyed with
 * the primary account's signing key, so one receiver configured with the primary key serves every
 * subaccount. Either signature may match any active key (one more "any of several signatures").
 *
 * Events: one per request, id as above, type = `event-data.event`, occurredAt = `event-data.timestamp`
 * (epoch seconds with a fraction). Legacy form bodies: type = `event`, the same token-based id.
 */
import {
  ACCEPTED,
  anySignatureMatches,
  asRecord,
  asString,
  checkTimestamp,
  decodeHex,
  hmac,
  parseJson,
  reject,
  requireBody,
  requireSecrets,
  signedContentId,
  toIso,
} from './common';
import type { Extraction, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

interface SignedFields {
  readonly timestamp: string;
  readonly token: string;
  readonly signature: string;
  /** Subaccount events only: the same MAC under the primary account's key. */
  readonly parentSignature?: string;
}

function decodeUtf8(body: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return undefined;
  }
}

function field(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : undefined;
}

function signedFields(body: Buffer): SignedFields | undefined {
  const json = asRecord(parseJson(body));
  if (json) {
    const signature = asRecord(json.signature);
    const timestamp = field(signature?.timestamp);
    const token = field(signature?.token);
    const mac = field(signature?.signature);
    const parentSignature = signature?.['parent-signature'];
    if (parentSignature !== undefined && typeof parentSignature !== 'string') return undefined;
    return timestamp !== undefined && token !== undefined && mac !== undefined
      ? { timestamp, token, signature: mac, parentSignature }
      : undefined;
  }
  const text = decodeUtf8(body);
  if (text === undefined) return undefined;
  const form = new URLSearchParams(text);
  const values = ['timestamp', 'token', 'signature'].map((name) => form.getAll(name));
  if (values.some((v) => v.length !== 1)) return undefined;
  const [[timestamp = ''] = [], [token = ''] = [], [signature = ''] = []] = values;
  return { timestamp, token, signature };
}

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const noSecret = requireSecrets(context.secrets);
  if (noSecret) return noSecret;
  const emptyBody = requireBody(request);
  if (emptyBody) return emptyBody;
  const fields = signedFields(request.body);
  if (!fields) return reject('missing_signature', 'Body has no single signature.{timestamp,token,signature}');
  if (fields.token === '') return reject('malformed_signature', 'Signature token is empty');
  const candidate = decodeHex(fields.signature);
  if (candidate?.length !== 32) return reject('malformed_signature', 'Signature is not a hex HMAC-SHA256');
  const candidates = [candidate];
  if (fields.parentSignature !== undefined) {
    const parent = decodeHex(fields.parentSignature);
    if (parent?.length !== 32) {
      return reject('malformed_signature', 'Parent signature is not a hex HMAC-SHA256');
    }
    candidates.push(parent);
  }
  const checked = checkTimestamp(fields.timestamp, 's', context.nowMs, context.toleranceSeconds);
  if (!checked.ok) return checked;
  const matched = anySignatureMatches(context.secrets, candidates, (secret) =>
    hmac('sha256', secret, fields.timestamp, fields.token),
  );
  return matched ? ACCEPTED : reject('signature_mismatch', 'Mailgun signature does not match');
}

/** The id of one signed request: its timestamp and token, the only content the MAC covers. */
function signedRequestId(body: Buffer): string | undefined {
  const fields = signedFields(body);
  return fields ? signedContentId('mailgun-token', `${fields.timestamp}:${fields.token}`) : undefined;
}

function extract(request: RawRequest): Extraction {
  const json = asRecord(parseJson(request.body));
  if (json) {
    const data = asRecord(json['event-data']);
    if (!data) return { ok: false, reason: 'unusable_payload', message: 'Mailgun body has no event-data' };
    return {
      ok: true,
      events: [
        {
          providerEventId: signedRequestId(request.body),
          eventType: asString(data.event) ?? 'unknown',
          occurredAt: toIso(data.timestamp),
          raw: request.body,
        },
      ],
    };
  }
  const form = new URLSearchParams(decodeUtf8(request.body) ?? '');
  return {
    ok: true,
    events: [
      {
        providerEventId: signedRequestId(request.body),
        eventType: form.get('event') || 'unknown',
        occurredAt: toIso(form.get('timestamp') ?? undefined),
        raw: request.body,
      },
    ],
  };
}

/** Mailgun webhook signature (HMAC over timestamp + token, carried in the body). */
export const mailgun: ProviderScheme<unknown> = {
  id: 'mailgun',
  defaultToleranceSeconds: 300,
  verify,
  extract,
};
