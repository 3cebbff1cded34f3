/**
 * A loopback reverse proxy that counts AWS API calls on their way to an emulator, by operation: the
 * `X-Amz-Target` header for JSON protocols (SQS, DynamoDB), method + "S3" otherwise. Put in front of the
 * emulators, it measures what the real handlers call per webhook without touching their code.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  readonly url: string;
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
  const server: Server = createServer((req, res) => {
    const header = req.headers['x-amz-target'];
    const op = operationOf(Array.isArray(header) ? header[0] : header, req.method ?? 'GET');
    counts[op] = (counts[op] ?? 0) + 1;
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
