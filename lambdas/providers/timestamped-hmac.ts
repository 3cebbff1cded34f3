/**
 * The `ts=…<sep>h1=…` family shared by Paddle (`ts=..;h1=..`) and Calendly (`t=..,v1=..`): one header holding
 * a timestamp and one or more hex HMAC-SHA256 signatures over `timestamp + separator + body`. Stripe has the
 * same shape but its own module, tuned to stripe-node's exact verdicts (v0 handling, repeated `t=`).
 */
import {
  ACCEPTED,
  anySignatureMatches,
  checkTimestamp,
  decodeHex,
  hmac,
  reject,
  signedHeaders,
} from './common';
import type { RawRequest, Verdict, VerifyContext } from './types';

export interface TimestampedHmacLayout {
  /** Header carrying the pairs, e.g. `Paddle-Signature`. */
  readonly header: string;
  /** Between pairs: `;` (Paddle) or `,` (Calendly). */
  readonly pairSeparator: string;
  /** Key of the timestamp pair (epoch seconds): `ts` or `t`. */
  readonly timestampKey: string;
  /** Key of each signature pair (any may match, for rotation): `h1` or `v1`. Other keys are ignored. */
  readonly signatureKey: string;
  /** Between the timestamp and the body in the signed bytes: `:` (Paddle) or `.` (Calendly). */
  readonly signedSeparator: string;
}

export function verifyTimestampedHexHmac(
  request: RawRequest,
  context: VerifyContext<unknown>,
  layout: TimestampedHmacLayout,
): Verdict {
  const { header: name, timestampKey, signatureKey } = layout;
  const header = signedHeaders(request, context.secrets, name);
  if (!header.ok) return header;
  const timestamps: string[] = [];
  const candidates: Buffer[] = [];
  for (const part of header.signature.split(layout.pairSeparator)) {
    const eq = part.indexOf('=');
    if (eq <= 0) return reject('malformed_header', `${name} is not a list of key=value pairs`);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === timestampKey) timestamps.push(value);
    if (key === signatureKey) {
      const decoded = decodeHex(value);
      if (decoded?.length !== 32) {
        return reject('malformed_signature', `A ${signatureKey} entry is not a hex HMAC-SHA256`);
      }
      candidates.push(decoded);
    }
  }
  const [timestamp, ...extra] = timestamps;
  if (timestamp === undefined) return reject('missing_timestamp', `${name} has no ${timestampKey}`);
  if (extra.length > 0) return reject('duplicate_header', `${name} has more than one ${timestampKey}`);
  if (candidates.length === 0) {
    return reject('unsupported_signature_version', `${name} has no ${signatureKey} signature`);
  }
  const checked = checkTimestamp(timestamp, 's', context.nowMs, context.toleranceSeconds);
  if (!checked.ok) return checked;
  const prefix = `${timestamp}${layout.signedSeparator}`;
  const matched = anySignatureMatches(context.secrets, candidates, (secret) =>
    hmac('sha256', secret, prefix, request.body),
  );
  return matched ? ACCEPTED : reject('signature_mismatch', `${name} does not match`);
}
