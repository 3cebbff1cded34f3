/**
 * A local stand-in for the API Gateway HTTP API in front of the ingest Lambda: it turns node:http
 * requests into payload-format-2.0 events (`POST /webhooks/{sourceId}`) and the handler's result back into
 * an HTTP response, with API Gateway's own answers for what never reaches the function (404 for other
 * routes, 413 above the payload limit, 500 when the function fails, 503 when it overruns).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { PrerequisiteError } from './emulators';
import { createLambdaContext } from './sqs-poller';

/** The ingest handler's signature (payload format 2.0). */
export type HttpApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

/** The route the stack declares for every source. */
export const WEBHOOK_ROUTE = 'POST /webhooks/{sourceId}';
const ROUTE_PATH = /^\/webhooks\/([^/]+)$/;
/** API Gateway HTTP APIs accept payloads up to 10 MB. */
export const API_GATEWAY_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/** API Gateway HTTP APIs wait at most 30 s for an integration. */
export const API_GATEWAY_INTEGRATION_TIMEOUT_MS = 30_000;

export interface RequestFacts {
  readonly method: string;
  /** The request target as received: path plus optional `?query`. */
  readonly target: string;
  /** `IncomingMessage.rawHeaders`: names and values alternating, repeats kept. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly nowMs?: number;
}

function clf(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/**
 * The payload-format-2.0 event API Gateway would build for a matched webhook route: header names
 * lower-cased and repeats joined with commas, cookies moved to `cookies`, query parameters decoded (repeats
 * joined with commas), the body base64 with `isBase64Encoded: true`.
 */
export function toHttpApiEvent(request: RequestFacts, sourceId: string): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = (request.rawHeaders[i] ?? '').toLowerCase();
    const value = request.rawHeaders[i + 1] ?? '';
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter(Boolean),
      );
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const queryStart = request.target.indexOf('?');
  const rawPath = queryStart === -1 ? request.target : request.target.slice(0, queryStart);
  const rawQueryString = queryStart === -1 ? '' : request.target.slice(queryStart + 1);
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  }
  const now = new Date(request.nowMs ?? Date.now());
  const domainName = (headers.host ?? 'localhost').replace(/:\d+$/, '');
  const requestId = `${randomBytes(6).toString('base64url')}=`;
  return {
    version: '2.0',
    routeKey: WEBHOOK_ROUTE,
    rawPath,
    rawQueryString,
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: request.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: WEBHOOK_ROUTE,
      stage: '$default',
      time: clf(now),
      timeEpoch: now.getTime(),
    },
    pathParameters: { sourceId: decodePathSegment(sourceId) },
    body: request.body.toString('base64'),
    isBase64Encoded: true,
  };
}

/** How API Gateway turns a payload-format-2.0 result into a response (a bare value means 200 JSON). */
export function fromHttpApiResult(result: APIGatewayProxyResultV2): {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
} {
  const structured = result as APIGatewayProxyStructuredResultV2 | undefined;
  if (typeof result !== 'object' || result === null || structured?.statusCode === undefined) {
    const text = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(text) };
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(structured.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  if (structured.cookies?.length) headers['set-cookie'] = structured.cookies;
  const raw = structured.body ?? '';
  const body = structured.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  return { status: structured.statusCode, headers, body };
}

export interface HttpGatewayOptions {
  readonly handler: HttpApiHandler;
  /** @default 3000; 0 picks a free port */
  readonly port?: number;
  /** @default '127.0.0.1' (loopback only) */
  readonly host?: string;
  /** The function timeout: `getRemainingTimeInMillis` counts down from it; past it the caller gets 503. @default 30000 */
  readonly functionTimeoutMs?: number;
  readonly functionName?: string;
  /** Called once per request with its outcome (for the console). */
  readonly onRequest?: (line: { method: string; path: string; status: number; durationMs: number }) => void;
}

export interface HttpGateway {
  readonly port: number;
  /** `http://localhost:<port>` */
  readonly url: string;
  stop(): Promise<void>;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | string[]>,
  body: Buffer,
): void {
  res.writeHead(status, { ...headers, 'content-length': String(body.length) });
  res.end(body);
}

const json = (message: string) => Buffer.from(JSON.stringify({ message }));

/** Serves the ingest handler on loopback; fails with an actionable error when the port is taken. */
export async function startHttpGateway(options: HttpGatewayOptions): Promise<HttpGateway> {
  const timeoutMs = options.functionTimeoutMs ?? API_GATEWAY_INTEGRATION_TIMEOUT_MS;
  const integrationTimeoutMs = Math.min(timeoutMs, API_GATEWAY_INTEGRATION_TIMEOUT_MS);
  const functionName = options.functionName ?? 'ingest';
  const region = process.env.AWS_REGION ?? 'us-east-1';

  const server: Server = createServer(async (req, res) => {
    const started = Date.now();
    const target = req.url ?? '/';
    const path = target.split('?')[0] ?? '/';
    const finish = (status: number, headers: Record<string, string | string[]>, body: Buffer) => {
      send(res, status, headers, body);
      options.onRequest?.({ method: req.method ?? '', path, status, durationMs: Date.now() - started });
    };
    try {
      const match = ROUTE_PATH.exec(path);
      if (req.method !== 'POST' || !match?.[1]) {
        req.resume();
        return finish(404, { 'content-type': 'application/json' }, json('Not Found'));
      }
      const body = await readBody(req, API_GATEWAY_MAX_PAYLOAD_BYTES);
      if (!body) return finish(413, { 'content-type': 'application/json' }, json('Request Entity Too Large'));
      const event = toHttpApiEvent(
        {
          method: req.method,
          target,
          rawHeaders: req.rawHeaders,
          body,
          sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        },
        match[1],
      );
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        options.handler(event, createLambdaContext(functionName, region, timeoutMs)).then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        ),
        new Promise<{ timedOut: true }>((resolve) => {
          timer = setTimeout(() => resolve({ timedOut: true }), integrationTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if ('timedOut' in outcome) {
        return finish(503, { 'content-type': 'application/json' }, json('Service Unavailable'));
      }
      if ('error' in outcome) {
        console.error(`[ingest] handler failed: ${(outcome.error as Error)?.stack ?? String(outcome.error)}`);
        return finish(500, { 'content-type': 'application/json' }, json('Internal Server Error'));
      }
      const response = fromHttpApiResult(outcome.result);
      return finish(response.status, response.headers, response.body);
    } catch (error) {
      console.error(`[ingest] gateway error: ${(error as Error)?.stack ?? String(error)}`);
      if (!res.headersSent)
        finish(500, { 'content-type': 'application/json' }, json('Internal Server Error'));
    }
  });

  const host = options.host ?? '127.0.0.1';
  const requested = options.port ?? 3000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new PrerequisiteError(
              `Port ${requested} (webhook endpoint) is already in use. Stop whatever listens there (\`lsof -i :${requested}\`) or pick another port: npm start -- --port 3001`,
            )
          : error,
      );
    });
    server.listen(requested, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://localhost:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** API Gateway passes a segment with a broken escape through as-is (the ingest then answers 404), never a 500. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
