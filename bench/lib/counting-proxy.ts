/**
 * A loopback reverse proxy that counts AWS API calls on their way to an emulator, by operation: the
 * `X-Amz-Target` header for JSON protocols (SQS, DynamoDB), method + "S3" otherwise. Put in front of the
 * emulators, it measures what the real handlers call per webhook without touching their code. Its fault
 * switch makes the service behind it unavailable (the chaos run's Secrets Manager outage): `blackhole`
 * holds every request unanswered (a hung endpoint: clients wait for their own timeouts), `reset` drops the
 * connection at once.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ProxyFault = 'none' | 'blackhole' | 'reset';

export interface CountingProxy {
  readonly url: string;
  /** Makes the upstream unreachable (or reachable again); counted calls include the failed ones. */
  setFault(fault: ProxyFault): void;
  /** Calls by operation (`SQS.SendMessageBatch`, `DynamoDB.PutItem`, `S3.PUT`, …). */
  counts(): Record<string, number>;
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

/** Starts a proxy to `upstream` (an http:// base URL) on a free loopback port. */
export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  const counts: Record<string, number> = {};
  let fault: ProxyFault = 'none';
  const server: Server = createServer((req, res) => {
    const header = req.headers['x-amz-target'];
    const op = operationOf(Array.isArray(header) ? header[0] : header, req.method ?? 'GET');
    counts[op] = (counts[op] ?? 0) + 1;
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
    reset() {
      for (const key of Object.keys(counts)) delete counts[key];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
