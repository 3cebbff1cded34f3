/**
 * A loopback reverse proxy that counts AWS API calls on their way to an emulator, by operation: the
 * `X-Amz-Target` header for JSON protocols (SQS, DynamoDB), method + "S3" otherwise. Put in front of the
 * emulators, it measures what the real handlers call per webhook without touching their code. Its fault
 * switch makes the service behind it unavailable (the chaos run's Secrets Manager outage): `blackhole`
 * holds every request unanswered (a hung endpoint: clients wait for their own timeouts), `reset` drops the
 * connection at once.
 *
 * With `measureDynamoCapacity`, it also asks DynamoDB for the capacity each call consumes
 * (`ReturnConsumedCapacity: TOTAL`, added to the request unless the caller set it) and sums the units by
 * operation: DynamoDB Local charges by item size as DynamoDB does (a write unit per started KB, the larger of
 * the item before and after; a read unit per started 4 KB, half for eventually consistent reads), so the
 * cost model prices measured units instead of assuming items under 1 KB. A write refused by its condition
 * returns no figure; it is counted as one unit, DynamoDB's minimum for it.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export type ProxyFault = 'none' | 'blackhole' | 'reset';

export interface CountingProxy {
  readonly url: string;
  /** Makes the upstream unreachable (or reachable again); counted calls include the failed ones. */
  setFault(fault: ProxyFault): void;
  /** Calls by operation (`SQS.SendMessageBatch`, `DynamoDB.PutItem`, `S3.PUT`, …). */
  counts(): Record<string, number>;
  /** Capacity units consumed by DynamoDB operation (only with `measureDynamoCapacity`). */
  capacityUnits(): Record<string, number>;
  reset(): void;
  stop(): Promise<void>;
}

function operationOf(target: string | undefined, method: string): string {
  if (target) {
    const [service = '', op = ''] = target.split('.');
    if (service.startsWith('AmazonSQS')) return `SQS.${op}`;
    if (service.startsWith('DynamoDB')) return `DynamoDB.${op}`;
    if (service.startsWith('secretsmanager')) return `SecretsManager.${op}`;
    return target;
  }
  return `S3.${method}`;
}

export interface CountingProxyOptions {
  /** Ask DynamoDB for consumed capacity and sum it by operation. @default false */
  readonly measureDynamoCapacity?: boolean;
}

/** Starts a proxy to `upstream` (an http:// base URL) on a free loopback port. */
export async function startCountingProxy(
  upstream: string,
  options: CountingProxyOptions = {},
): Promise<CountingProxy> {
  const target = new URL(upstream);
  const counts: Record<string, number> = {};
  const units: Record<string, number> = {};
  let fault: ProxyFault = 'none';
  const server: Server = createServer((req, res) => {
    const header = req.headers['x-amz-target'];
    const op = operationOf(Array.isArray(header) ? header[0] : header, req.method ?? 'GET');
    counts[op] = (counts[op] ?? 0) + 1;
    if (options.measureDynamoCapacity && op.startsWith('DynamoDB.') && fault === 'none') {
      forwardMeasuringCapacity(target, req, res, (consumed) => {
        units[op] = (units[op] ?? 0) + consumed;
      });
      return;
    }
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'blackhole') {
      req.resume();
      return;
    }
    const forward = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setFault(next) {
      fault = next;
    },
    counts: () => ({ ...counts }),
    capacityUnits: () => ({ ...units }),
    reset() {
      for (const key of Object.keys(counts)) delete counts[key];
      for (const key of Object.keys(units)) delete units[key];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readAll(stream: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** Sum of `CapacityUnits` in a DynamoDB answer (one object, or a list for transactions and batches). */
function consumedUnits(body: Buffer): number | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { ConsumedCapacity?: unknown };
    const list = Array.isArray(parsed.ConsumedCapacity) ? parsed.ConsumedCapacity : [parsed.ConsumedCapacity];
    const values = list
      .map((c) => (c as { CapacityUnits?: unknown } | undefined)?.CapacityUnits)
      .filter((v): v is number => typeof v === 'number');
    return values.length ? values.reduce((a, b) => a + b, 0) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Forwards one DynamoDB call with `ReturnConsumedCapacity: TOTAL` and reports the units it consumed. The
 * request is re-sent with its new length; DynamoDB Local does not check SigV4 signatures against the body.
 */
function forwardMeasuringCapacity(
  target: URL,
  req: IncomingMessage,
  res: ServerResponse,
  record: (units: number) => void,
): void {
  void (async () => {
    const original = await readAll(req);
    let body = original;
    try {
      const parsed = JSON.parse(original.toString('utf8')) as Record<string, unknown>;
      parsed.ReturnConsumedCapacity ??= 'TOTAL';
      body = Buffer.from(JSON.stringify(parsed));
    } catch {
      // Not JSON: forwarded as it came.
    }
    const forward = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host, 'content-length': String(body.length) },
      },
      (upstreamRes) => {
        void readAll(upstreamRes).then((answer) => {
          const consumed = consumedUnits(answer);
          const refused = (upstreamRes.statusCode ?? 0) === 400 && answer.includes('ConditionalCheckFailed');
          if (consumed !== undefined) record(consumed);
          else if (refused) record(1);
          const headers = { ...upstreamRes.headers };
          delete headers['content-length'];
          res.writeHead(upstreamRes.statusCode ?? 502, {
            ...headers,
            'content-length': String(answer.length),
          });
          res.end(answer);
        });
      },
    );
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    forward.end(body);
  })();
}
