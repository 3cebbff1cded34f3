/**
 * The ingest function's HTTP answers. Every body is JSON; errors carry a stable machine `error` code and
 * a human `message` that never contains secrets, expected signatures or payload bytes.
 */

/** Result shape accepted by API Gateway REST (v1), HTTP APIs (v2) and Function URLs alike. */
export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly isBase64Encoded: false;
}

/** Stable error codes of non-2xx answers (401s use the provider verdict's reason instead). */
export type IngestErrorCode =
  | 'unknown_source'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'forbidden_ip'
  | 'secret_unavailable'
  | 'source_misconfigured'
  | 'enqueue_failed'
  | 'dead_letter_failed'
  | 'internal_error';

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

export function jsonResponse(
  statusCode: number,
  payload: unknown,
  headers: Readonly<Record<string, string>> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify(payload),
    isBase64Encoded: false,
  };
}

/** An empty 204, for providers whose acknowledgement must carry no body (Discord). */
export function noContentResponse(): HttpResponse {
  return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '', isBase64Encoded: false };
}

export function errorResponse(
  statusCode: number,
  error: string,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): HttpResponse {
  return jsonResponse(statusCode, { error, message }, headers);
}

/** What a 2xx tells the provider: how many events were queued and their dedupe keys. */
export interface Receipt {
  readonly received: number;
  readonly eventIds: readonly string[];
  /** Present when the authentic payload held no usable event and went to the dead-letter queue. */
  readonly deadLettered?: true;
}
