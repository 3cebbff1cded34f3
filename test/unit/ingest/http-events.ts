/**
 * Full, realistic Lambda HTTP events as API Gateway REST (payload v1), HTTP APIs (payload v2) and Function
 * URLs deliver them, built from a request's parts. Shapes follow AWS's documented sample events.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';

export interface RequestParts {
  readonly method?: string;
  /** Path after the stage: `/webhooks/<sourceId>`. */
  readonly path: string;
  /** Header names with the provider's own capitalisation; arrays are repeated headers. */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: Buffer | string;
  /** Deliver the body base64-encoded (binary media types, HTTP APIs' default for non-text). */
  readonly base64?: boolean;
  /** Raw query string without `?`. */
  readonly query?: string;
  readonly sourceIp?: string;
}

export const REST_DOMAIN = 'abc123.execute-api.us-east-1.amazonaws.com';
export const HTTP_DOMAIN = 'def456.execute-api.us-east-1.amazonaws.com';
export const URL_DOMAIN = 'ghi789abcdefghijklmnopqrstuvwxyz.lambda-url.us-east-1.on.aws';
export const REST_STAGE = 'prod';

const bodyOf = (parts: RequestParts): Buffer =>
  parts.body === undefined
    ? Buffer.alloc(0)
    : Buffer.isBuffer(parts.body)
      ? parts.body
      : Buffer.from(parts.body);

function encodedBody(parts: RequestParts): string | null {
  const bytes = bodyOf(parts);
  if (parts.body === undefined) return null;
  return parts.base64 ? bytes.toString('base64') : bytes.toString('utf8');
}

function sourceIdParameter(path: string): Record<string, string> | undefined {
  const match = /^\/webhooks\/([^/]+)$/.exec(path);
  if (!match?.[1]) return undefined;
  try {
    return { sourceId: decodeURIComponent(match[1]) };
  } catch {
    return { sourceId: match[1] };
  }
}

function entries(parts: RequestParts): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(parts.headers ?? {})) {
    for (const v of typeof value === 'string' ? [value] : value) out.push([name, v]);
  }
  return out;
}

/** API Gateway REST API, Lambda proxy integration, payload format 1.0, route `/webhooks/{sourceId}`. */
export function restV1Event(parts: RequestParts): APIGatewayProxyEvent {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  const multiValueHeaders: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const [name, value] of entries(parts)) {
    // REST keeps the caller's capitalisation; `headers` holds the last value of a repeated header.
    headers[name] = value;
    const list = multiValueHeaders[name] ?? [];
    list.push(value);
    multiValueHeaders[name] = list;
  }
  const query = new URLSearchParams(parts.query ?? '');
  const qs: Record<string, string> = Object.create(null) as Record<string, string>;
  const mqs: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const [name, value] of query) {
    qs[name] = value;
    const list = mqs[name] ?? [];
    list.push(value);
    mqs[name] = list;
  }
  const hasQuery = Object.keys(qs).length > 0;
  const params = sourceIdParameter(parts.path);
  return {
    resource: '/webhooks/{sourceId}',
    path: parts.path,
    httpMethod: parts.method ?? 'POST',
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? qs : null,
    multiValueQueryStringParameters: hasQuery ? mqs : null,
    pathParameters: params ?? null,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: null,
      domainName: REST_DOMAIN,
      domainPrefix: 'abc123',
      extendedRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      httpMethod: parts.method ?? 'POST',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: parts.sourceIp ?? '203.0.113.10',
        user: null,
        userAgent: 'provider-webhooks/1.0',
        userArn: null,
      },
      path: `/${REST_STAGE}${parts.path}`,
      protocol: 'HTTP/1.1',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTime: '09/Apr/2015:12:34:56 +0000',
      requestTimeEpoch: 1428582896000,
      resourceId: 'roq9wj',
      resourcePath: '/webhooks/{sourceId}',
      stage: REST_STAGE,
    },
    body: encodedBody(parts),
    isBase64Encoded: parts.base64 ?? false,
  };
}

function v2Headers(parts: RequestParts): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  const cookies: string[] = [];
  for (const [rawName, value] of entries(parts)) {
    const name = rawName.toLowerCase();
    if (name === 'cookie') {
      cookies.push(...value.split(';').map((c) => c.trim()));
      continue;
    }
    // Payload v2 lower-cases names and joins repeated headers with commas.
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  return { headers, cookies };
}

function v2Event(parts: RequestParts, domainName: string, routed: boolean): APIGatewayProxyEventV2 {
  const { headers, cookies } = v2Headers(parts);
  const query: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of new URLSearchParams(parts.query ?? '')) {
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  }
  const params = routed ? sourceIdParameter(parts.path) : undefined;
  const method = parts.method ?? 'POST';
  return {
    version: '2.0',
    routeKey: routed ? 'POST /webhooks/{sourceId}' : '$default',
    rawPath: parts.path,
    rawQueryString: parts.query ?? '',
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(params ? { pathParameters: params } : {}),
    requestContext: {
      accountId: routed ? '123456789012' : 'anonymous',
      apiId: domainName.split('.')[0] ?? 'api',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? 'api',
      http: {
        method,
        path: parts.path,
        protocol: 'HTTP/1.1',
        sourceIp: parts.sourceIp ?? '203.0.113.10',
        userAgent: headers['user-agent'] ?? 'provider-webhooks/1.0',
      },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: routed ? 'POST /webhooks/{sourceId}' : '$default',
      stage: '$default',
      time: '10/Mar/2020:00:03:59 +0000',
      timeEpoch: 1583798639428,
    },
    ...(parts.body !== undefined ? { body: encodedBody(parts) ?? '' } : {}),
    isBase64Encoded: parts.base64 ?? false,
  };
}

/** API Gateway HTTP API, payload format 2.0, route `POST /webhooks/{sourceId}`, `$default` stage. */
export function httpV2Event(parts: RequestParts): APIGatewayProxyEventV2 {
  return v2Event(parts, HTTP_DOMAIN, true);
}

/** Lambda Function URL: payload 2.0 shape, no route key or path parameters. */
export function functionUrlEvent(parts: RequestParts): APIGatewayProxyEventV2 {
  return v2Event(parts, URL_DOMAIN, false);
}

export type EventBuilder = (parts: RequestParts) => APIGatewayProxyEvent | APIGatewayProxyEventV2;

/** Every shape, with the public URL the provider would have called for `path` + `query`. */
export const EVENT_SHAPES: readonly {
  readonly name: string;
  readonly build: EventBuilder;
  readonly urlFor: (path: string, query?: string) => string;
}[] = [
  {
    name: 'REST v1',
    build: restV1Event,
    urlFor: (path, query) => `https://${REST_DOMAIN}/${REST_STAGE}${path}${query ? `?${query}` : ''}`,
  },
  {
    name: 'HTTP API v2',
    build: httpV2Event,
    urlFor: (path, query) => `https://${HTTP_DOMAIN}${path}${query ? `?${query}` : ''}`,
  },
  {
    name: 'Function URL',
    build: functionUrlEvent,
    urlFor: (path, query) => `https://${URL_DOMAIN}${path}${query ? `?${query}` : ''}`,
  },
];
