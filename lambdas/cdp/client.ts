/**
 * Client for the CDP records API (`POST {base}/records/{object}/upsert` with `{record, matchKey}` and
 * `/append` with `{record}`), with a Bearer key from Secrets Manager and an `Idempotency-Key` on every
 * call so that a retried or redriven event never applies twice.
 *
 * Same key, same bytes: a CDP that checks payloads on key reuse refuses a retry whose body differs (422), so
 * the body is serialised canonically (object keys sorted at every level): what a retry sends depends only on
 * the record's content, never on the order a mapping or a provider's re-serialisation happened to build it in.
 *
 * Every failure says whether the write may have been applied (`CdpError.maybeApplied`, see `./errors`).
 *
 * Built on `node:http(s)` rather than `fetch` so that the connect timeout and the whole-request deadline
 * are separate and explicit, and connections are reused through one keep-alive agent per container.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import {
  type CdpError,
  CdpPermanentError,
  CdpRetryableError,
  isRetryableStatus,
  parseRetryAfter,
} from './errors';

/** A JSON value as sent to the CDP. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** One CDP record: field name to JSON value. */
export type CdpRecord = Readonly<Record<string, JsonValue>>;

/** Where the API key comes from; `invalidate` drops a cached key after the CDP answered 401. */
export interface ApiKeyProvider {
  getApiKey(): Promise<string>;
  invalidate?(): void;
}

export interface CdpClientOptions {
  /** e.g. `https://api.example-cdp.com/public/v1` (no trailing slash needed). */
  readonly baseUrl: string;
  readonly apiKey: ApiKeyProvider;
  /** TCP (+TLS) connect timeout. @default 1000 */
  readonly connectTimeoutMs?: number;
  /** Whole request, connect to last response byte. @default 5000 */
  readonly requestTimeoutMs?: number;
  /** Largest response body read; the rest is discarded. @default 65536 */
  readonly maxResponseBytes?: number;
  readonly now?: () => number;
}

export interface CdpCallOptions {
  /** Stable across retries and redrives of one event's operation. */
  readonly idempotencyKey: string;
  /**
   * Time left for this call, e.g. the Lambda's remaining time minus a safety margin. The effective deadline
   * is the smaller of this and `requestTimeoutMs`.
   */
  readonly timeoutMs?: number;
}

export interface CdpResult {
  readonly status: number;
  /** The CDP answered from its idempotency store (the effect was applied by an earlier attempt). */
  readonly replayed: boolean;
  readonly body: unknown;
}

/** The two operations the processor needs; an interface so the domain can be tested without HTTP. */
export interface CdpWriter {
  upsert(object: string, record: CdpRecord, matchKey: string, options: CdpCallOptions): Promise<CdpResult>;
  append(object: string, record: CdpRecord, options: CdpCallOptions): Promise<CdpResult>;
}

const OBJECT_NAME = /^[A-Za-z0-9_-]{1,64}$/;

interface RawResponse {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** HTTP client for the CDP records API. Create once per container; it holds the keep-alive agents. */
export class CdpClient implements CdpWriter {
  private readonly base: URL;
  private readonly connectTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly now: () => number;
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 32 });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 32 });

  constructor(private readonly options: CdpClientOptions) {
    this.base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    if (this.base.protocol !== 'https:' && this.base.protocol !== 'http:') {
      throw new Error(`CDP base URL must be http(s), got ${this.base.protocol}`);
    }
    this.connectTimeoutMs = options.connectTimeoutMs ?? 1000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.maxResponseBytes = options.maxResponseBytes ?? 65_536;
    this.now = options.now ?? Date.now;
  }

  upsert(object: string, record: CdpRecord, matchKey: string, options: CdpCallOptions): Promise<CdpResult> {
    return this.call(object, 'upsert', { record, matchKey }, options);
  }

  append(object: string, record: CdpRecord, options: CdpCallOptions): Promise<CdpResult> {
    return this.call(object, 'append', { record }, options);
  }

  /** Closes idle keep-alive sockets (tests and local mode; Lambda containers just freeze). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async call(
    object: string,
    operation: 'upsert' | 'append',
    payload: unknown,
    options: CdpCallOptions,
  ): Promise<CdpResult> {
    if (!OBJECT_NAME.test(object)) throw new CdpPermanentError(`Invalid CDP object name "${object}"`, 400);
    const url = new URL(`records/${object}/${operation}`, this.base);
    const body = Buffer.from(canonicalJson(payload), 'utf8');
    let response = await this.send(url, body, options, await this.options.apiKey.getApiKey());
    if (response.status === 401 && this.options.apiKey.invalidate) {
      // A rotated key: the cached value is stale. One retry with a fresh read, not a retry loop.
      this.options.apiKey.invalidate();
      response = await this.send(url, body, options, await this.options.apiKey.getApiKey());
    }
    return this.interpret(response, `${operation} ${object}`);
  }

  private interpret(response: RawResponse, what: string): CdpResult {
    const { status } = response;
    if (status >= 200 && status < 300) {
      return { status, replayed: isReplay(response.headers), body: parseJson(response.body) };
    }
    const detail = errorDetail(response.body);
    const message = `CDP ${what} answered ${status}${detail ? `: ${detail}` : ''}`;
    if (isRetryableStatus(status)) {
      const retryAfter = headerValue(response.headers['retry-after']);
      throw new CdpRetryableError(message, 'http', status, parseRetryAfter(retryAfter, this.now()));
    }
    throw new CdpPermanentError(message, status);
  }

  private send(url: URL, body: Buffer, options: CdpCallOptions, apiKey: string): Promise<RawResponse> {
    const timeoutMs = Math.max(1, Math.min(this.requestTimeoutMs, options.timeoutMs ?? Infinity));
    const isHttps = url.protocol === 'https:';
    const requestFn = isHttps ? httpsRequest : httpRequest;
    return new Promise<RawResponse>((resolve, reject) => {
      let settled = false;
      // Until a connection is up, not a byte of the request can have reached the CDP: a failure then is a
      // definite "not applied". From then on a failure is ambiguous (see CdpError.maybeApplied).
      let maybeSent = false;
      const fail = (error: CdpError) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        req.destroy();
        reject(error);
      };
      const req = requestFn(url, {
        method: 'POST',
        agent: isHttps ? this.httpsAgent : this.httpAgent,
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'content-length': String(body.length),
          accept: 'application/json',
          'idempotency-key': options.idempotencyKey,
        },
      });
      const deadline = setTimeout(
        () =>
          fail(
            new CdpRetryableError(
              `CDP request timed out after ${timeoutMs} ms`,
              'timeout',
              undefined,
              undefined,
              maybeSent,
            ),
          ),
        timeoutMs,
      );
      req.on('socket', (socket) => {
        // Reused keep-alive sockets are already connected; only fresh ones get the connect timeout.
        if (!socket.connecting) {
          maybeSent = true;
          return;
        }
        const connectTimer = setTimeout(
          () =>
            fail(
              new CdpRetryableError(
                `CDP connect timed out after ${this.connectTimeoutMs} ms`,
                'timeout',
                undefined,
                undefined,
                false,
              ),
            ),
          this.connectTimeoutMs,
        );
        socket.once(isHttps ? 'secureConnect' : 'connect', () => {
          maybeSent = true;
          clearTimeout(connectTimer);
        });
        socket.once('close', () => clearTimeout(connectTimer));
      });
      req.on('error', (error: NodeJS.ErrnoException) =>
        fail(
          new CdpRetryableError(
            `CDP request failed: ${error.code ?? error.name}`,
            'network',
            undefined,
            undefined,
            maybeSent,
          ),
        ),
      );
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < this.maxResponseBytes) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('error', (error: NodeJS.ErrnoException) =>
          fail(new CdpRetryableError(`CDP response failed: ${error.code ?? error.name}`, 'network')),
        );
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).subarray(0, this.maxResponseBytes).toString('utf8'),
          });
        });
      });
      req.end(body);
    });
  }
}

/** JSON with object keys sorted at every level: equal content always gives equal bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) return inner;
    const source = inner as Record<string, unknown>;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(source).sort()) sorted[key] = source[key];
    return sorted;
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isReplay(headers: IncomingMessage['headers']): boolean {
  const value = headerValue(headers['idempotent-replayed'])?.toLowerCase();
  return value === 'true' || value === '1';
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A short, log-safe description of a CDP error body (its code and message, never the echoed record). */
function errorDetail(text: string): string {
  const parsed = parseJson(text);
  if (typeof parsed === 'object' && parsed !== null) {
    const error = (parsed as { error?: unknown }).error;
    const source = typeof error === 'object' && error !== null ? error : parsed;
    const { code, message } = source as { code?: unknown; message?: unknown };
    const parts = [code, message].filter((p): p is string => typeof p === 'string' && p !== '');
    if (parts.length > 0) return parts.join(' ').slice(0, 200);
  }
  return typeof parsed === 'string' ? parsed.slice(0, 120) : '';
}

/** Reads the CDP key through a secret source (`{"apiKey": "…"}` or the plain value). */
export function secretApiKeyProvider(
  secrets: { getActiveSecrets(id: string): Promise<readonly string[]>; clear?(): void },
  secretId: string,
): ApiKeyProvider {
  return {
    async getApiKey() {
      const [key] = await secrets.getActiveSecrets(secretId);
      if (key === undefined) {
        throw new CdpRetryableError('CDP API key secret is empty', 'network', undefined, undefined, false);
      }
      return key;
    },
    invalidate() {
      secrets.clear?.();
    },
  };
}
