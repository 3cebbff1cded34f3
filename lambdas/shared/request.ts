/**
 * Turns the three HTTP event shapes that can front a Lambda (API Gateway REST payload v1, HTTP API payload
 * v2, Lambda Function URL) into one provider-neutral request: exact body bytes, lower-cased multi-value
 * headers, the caller IP, and a public URL rebuilt from the request context. Pure: no AWS, no clock.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';

/** Every event shape the ingest function accepts (a Function URL event has the v2 shape). */
export type HttpTriggerEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;

export type HttpEventFormat = 'rest-v1' | 'http-v2' | 'function-url';

/** The request as received, before the route decides which source (and so which public URL) applies. */
export interface IncomingRequest {
  readonly format: HttpEventFormat;
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Path as the caller sent it, including an API Gateway stage prefix when there is one. */
  readonly path: string;
  /** `{sourceId}` when the API Gateway route supplied it as a path parameter. */
  readonly sourceIdParameter: string | undefined;
  /** Header names lower-cased; repeated headers keep every value (v2 joins repeats with commas itself). */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly body: Buffer;
  /** The query string without `?`, as received (v2) or re-encoded from the parsed parameters (v1). */
  readonly rawQueryString: string;
  /** `https://<domainName><path>[?query]` rebuilt from the request context; undefined without a domain. */
  readonly contextUrl: string | undefined;
  readonly sourceIp: string | undefined;
}

/** The value when it is a string, else undefined: event fields are typed, but never trusted blindly. */
function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function isV1(event: HttpTriggerEvent): event is APIGatewayProxyEvent {
  return typeof (event as Partial<APIGatewayProxyEvent>).httpMethod === 'string';
}

/** Prototype-free, so header names such as `constructor` or `__proto__` are just names. */
function headerMap(): Record<string, string[]> {
  return Object.create(null) as Record<string, string[]>;
}

function addHeader(target: Record<string, string[]>, name: string, value: unknown): void {
  // AWS always sends strings; anything else is dropped rather than trusted.
  if (typeof value !== 'string') return;
  const key = name.toLowerCase();
  const existing = target[key];
  if (existing) existing.push(value);
  else target[key] = [value];
}

/**
 * Decodes the body to its exact bytes. API Gateway and Function URLs base64-encode binary (and, for HTTP
 * APIs, most) bodies; text bodies arrive as UTF-8 strings.
 */
export function decodeBody(body: unknown, isBase64Encoded: unknown): Buffer {
  if (typeof body !== 'string' || body === '') return Buffer.alloc(0);
  return isBase64Encoded === true ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

/**
 * Re-encodes REST v1's parsed query parameters. Payload v1 carries no raw query string, so the original
 * spelling (encoding choices, parameter order across names) cannot be recovered: URL-bound schemes behind a
 * REST API should set the source's `publicUrl`.
 */
function encodeV1Query(event: APIGatewayProxyEvent): string {
  const params = new URLSearchParams();
  const multi = event.multiValueQueryStringParameters;
  if (multi) {
    for (const [name, values] of Object.entries(multi)) {
      if (Array.isArray(values)) for (const value of values) params.append(name, String(value));
    }
  } else if (event.queryStringParameters) {
    for (const [name, value] of Object.entries(event.queryStringParameters)) {
      if (typeof value === 'string') params.append(name, value);
    }
  }
  return params.toString();
}

function withQuery(base: string, rawQueryString: string): string {
  return rawQueryString === '' ? base : `${base}?${rawQueryString}`;
}

function normaliseV1(event: APIGatewayProxyEvent): IncomingRequest {
  const headers = headerMap();
  if (event.multiValueHeaders && Object.keys(event.multiValueHeaders).length > 0) {
    for (const [name, values] of Object.entries(event.multiValueHeaders)) {
      if (Array.isArray(values)) for (const value of values) addHeader(headers, name, value);
    }
  } else {
    for (const [name, value] of Object.entries(event.headers ?? {})) addHeader(headers, name, value);
  }
  const context = event.requestContext;
  const rawQueryString = encodeV1Query(event);
  // requestContext.path keeps the stage (`/prod/webhooks/x`); event.path is relative to the stage.
  const path = text(event.path) ?? '';
  const publicPath = text(context?.path) ?? path;
  const domainName = text(context?.domainName);
  return {
    format: 'rest-v1',
    method: event.httpMethod.toUpperCase(),
    path,
    sourceIdParameter: text(event.pathParameters?.sourceId),
    headers,
    body: decodeBody(event.body, event.isBase64Encoded),
    rawQueryString,
    contextUrl: domainName ? withQuery(`https://${domainName}${publicPath}`, rawQueryString) : undefined,
    sourceIp: text(context?.identity?.sourceIp),
  };
}

function normaliseV2(event: APIGatewayProxyEventV2): IncomingRequest {
  const headers = headerMap();
  // v2 has already joined repeated headers with commas; splitting them back would break values that
  // contain commas themselves (Stripe-Signature), so each stays one value and the schemes parse it.
  for (const [name, value] of Object.entries(event.headers ?? {})) addHeader(headers, name, value);
  if (Array.isArray(event.cookies) && event.cookies.length > 0 && !headers.cookie) {
    headers.cookie = [event.cookies.filter((c) => typeof c === 'string').join('; ')];
  }
  const context = event.requestContext;
  const rawQueryString = text(event.rawQueryString) ?? '';
  const path = text(event.rawPath) ?? text(context?.http?.path) ?? '';
  const domainName = text(context?.domainName);
  // Function URLs are told apart by their domain: the event shape is the same as an HTTP API's.
  const isFunctionUrl = domainName?.includes('.lambda-url.') ?? false;
  return {
    format: isFunctionUrl ? 'function-url' : 'http-v2',
    method: (text(context?.http?.method) ?? '').toUpperCase(),
    path,
    sourceIdParameter: text(event.pathParameters?.sourceId),
    headers,
    body: decodeBody(event.body, event.isBase64Encoded),
    rawQueryString,
    contextUrl: domainName ? withQuery(`https://${domainName}${path}`, rawQueryString) : undefined,
    sourceIp: text(context?.http?.sourceIp),
  };
}

/** Normalises any supported HTTP trigger event; never throws on missing optional fields. */
export function normaliseHttpEvent(event: HttpTriggerEvent): IncomingRequest {
  return isV1(event) ? normaliseV1(event) : normaliseV2(event);
}

const WEBHOOK_PATH = /\/webhooks\/([^/]+)\/?$/;

/**
 * The `{sourceId}` of `POST /webhooks/{sourceId}`: the route's path parameter when API Gateway supplies
 * one, else the last path segment after `/webhooks/` (Function URLs, proxy routes, stage prefixes).
 */
export function sourceIdOf(request: IncomingRequest): string | undefined {
  if (request.sourceIdParameter !== undefined && request.sourceIdParameter !== '') {
    return request.sourceIdParameter;
  }
  const match = WEBHOOK_PATH.exec(request.path);
  if (!match?.[1]) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

/**
 * The URL the provider called, as URL-bound schemes sign it: the source's configured `publicUrl` (scheme,
 * host and path) plus the query string this request arrived with, else the one rebuilt from the request.
 * The query always comes from the request: it is signed material (Twilio `bodySHA256`, url-token tokens),
 * so a query written into configuration must never stand in for it (it would authenticate every request).
 */
export function publicUrlFor(request: IncomingRequest, configuredUrl: string | undefined): string {
  if (configuredUrl !== undefined && configuredUrl !== '') {
    const base = configuredUrl.replace(/[?#].*$/s, '');
    return withQuery(base, request.rawQueryString);
  }
  if (request.contextUrl !== undefined) return request.contextUrl;
  const host = request.headers.host?.[0];
  return withQuery(host ? `https://${host}${request.path}` : request.path, request.rawQueryString);
}
