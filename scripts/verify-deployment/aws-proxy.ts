/**
 * One loopback proxy per function and AWS service, set as that function's `AWS_ENDPOINT_URL_<SERVICE>`:
 * it reads each SDK request (SQS and DynamoDB JSON protocol `X-Amz-Target`, SQS query `Action`, S3 REST
 * method + path, Secrets Manager target), works out the IAM action(s) and resource ARN(s), evaluates them
 * against the function's role from the template, and either forwards the request to the emulator or
 * answers AccessDenied as AWS would. Every call is recorded.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { type ActionRequest, type ConditionContext, type Decision, evaluate } from './iam';
import { listenOnLoopback } from './loopback';
import type { SourcedStatement } from './template';

export type Service = 'sqs' | 'dynamodb' | 's3' | 'secretsmanager';

/** Maps names the SDK sends (queue URLs, table names, bucket names, secret ids) to local ARNs. */
export interface ArnDirectory {
  queueArn(urlOrName: string): string | undefined;
  tableArn(name: string): string | undefined;
  bucketArn(name: string): string | undefined;
  secretArn(idOrArn: string): string | undefined;
  /** Logical id owning an ARN, to find its resource policy. */
  ownerOf(arn: string): string | undefined;
}

export interface CallRecord {
  readonly principal: string;
  readonly service: Service;
  readonly operation: string;
  readonly checks: readonly (ActionRequest & { readonly decision: Decision })[];
  readonly allowed: boolean;
  /** An injected fault answered instead of forwarding. */
  readonly fault?: string;
}

/** A scenario's injected failure: answer matching calls with a 5xx instead of forwarding. */
export interface Fault {
  readonly service: Service;
  readonly operation: RegExp;
  readonly status: number;
  /** Only for this function (logical id); every function when unset. */
  readonly principal?: string;
}

export interface ProxyOptions {
  readonly principal: string;
  readonly roleArn: string;
  readonly service: Service;
  readonly upstream: string;
  readonly identity: readonly SourcedStatement[];
  readonly resourcePolicies: ReadonlyMap<string, readonly SourcedStatement[]>;
  readonly directory: ArnDirectory;
  readonly region: string;
  readonly accountId: string;
  readonly record: (call: CallRecord) => void;
  readonly faults: () => readonly Fault[];
  /** Sees every allowed call's operation and parsed input as it is forwarded (read-only). */
  readonly observe?: (operation: string, input: Record<string, unknown>) => void;
}

export interface AwsProxy {
  readonly url: string;
  stop(): Promise<void>;
}

const SQS_BATCH_ACTIONS: Record<string, string> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

const DYNAMO_TRANSACT_ITEM: Record<string, string> = {
  ConditionCheck: 'ConditionCheckItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  Get: 'GetItem',
};

function parseBody(body: Buffer, contentType: string): Record<string, unknown> {
  const text = body.toString('utf8');
  if (contentType.includes('x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The operation and the IAM checks one request needs. Throws with a message when it cannot tell. */
export function identifyCall(
  service: Service,
  req: { method: string; url: string; headers: IncomingMessage['headers'] },
  body: Buffer,
  directory: ArnDirectory,
): { operation: string; checks: ActionRequest[] } {
  const target = String(req.headers['x-amz-target'] ?? '');
  const input = parseBody(body, String(req.headers['content-type'] ?? ''));
  const unknown = (what: string, name: string) => `${what} "${name}" is not a resource of the template`;
  if (service === 'sqs') {
    const operation = target ? (target.split('.')[1] ?? '') : String(input.Action ?? '');
    const action = `sqs:${SQS_BATCH_ACTIONS[operation] ?? operation}`;
    if (operation === 'ListQueues') return { operation, checks: [{ action, resource: '*' }] };
    const name = String(input.QueueUrl ?? input.QueueName ?? '');
    if (name.startsWith('arn:')) {
      // Real SQS refuses it too (InvalidAddress): the classic "ARN where a URL is expected" wiring bug.
      return {
        operation,
        checks: [{ action, resource: `unknown:QueueUrl "${name}" is an ARN; SQS expects the queue URL` }],
      };
    }
    const arn = directory.queueArn(name);
    return { operation, checks: [{ action, resource: arn ?? `unknown:${unknown('queue', name)}` }] };
  }
  if (service === 'dynamodb') {
    const operation = target.split('.')[1] ?? '';
    const table = (name: string, index?: unknown) => {
      const arn = directory.tableArn(name) ?? `unknown:${unknown('table', name)}`;
      return typeof index === 'string' ? `${arn}/index/${index}` : arn;
    };
    if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
      const items = (input.TransactItems as Record<string, { TableName?: string }>[] | undefined) ?? [];
      return {
        operation,
        checks: items.flatMap((item) =>
          Object.entries(item).map(([kind, spec]) => ({
            action: `dynamodb:${DYNAMO_TRANSACT_ITEM[kind] ?? kind}`,
            resource: table(String(spec.TableName ?? '')),
          })),
        ),
      };
    }
    if (operation === 'BatchWriteItem' || operation === 'BatchGetItem') {
      const tables = Object.keys((input.RequestItems as Record<string, unknown> | undefined) ?? {});
      return {
        operation,
        checks: tables.map((t) => ({ action: `dynamodb:${operation}`, resource: table(t) })),
      };
    }
    if (operation === 'ListTables')
      return { operation, checks: [{ action: 'dynamodb:ListTables', resource: '*' }] };
    return {
      operation,
      checks: [
        { action: `dynamodb:${operation}`, resource: table(String(input.TableName ?? ''), input.IndexName) },
      ],
    };
  }
  if (service === 'secretsmanager') {
    const operation = target.split('.')[1] ?? '';
    const id = String(input.SecretId ?? input.Name ?? '');
    const arn = directory.secretArn(id);
    return {
      operation,
      checks: [
        { action: `secretsmanager:${operation}`, resource: arn ?? `unknown:${unknown('secret', id)}` },
      ],
    };
  }
  // S3, path-style (the endpoint is an IP address): /bucket/key?query
  const url = new URL(req.url, 'http://local');
  const [, bucket = '', ...keyParts] = url.pathname.split('/');
  const key = decodeURIComponent(keyParts.join('/'));
  const bucketArn = directory.bucketArn(bucket) ?? `unknown:${unknown('bucket', bucket)}`;
  const xId = url.searchParams.get('x-id');
  const method = req.method.toUpperCase();
  let operation: string;
  let action: string;
  let resource = key ? `${bucketArn}/${key}` : bucketArn;
  if (!key) {
    operation = xId ?? (method === 'GET' ? 'ListObjectsV2' : `${method}Bucket`);
    action = method === 'GET' || method === 'HEAD' ? 's3:ListBucket' : `s3:${operation}`;
  } else if (method === 'PUT' || (method === 'POST' && url.searchParams.has('uploads'))) {
    operation = xId ?? 'PutObject';
    action = url.searchParams.has('tagging') ? 's3:PutObjectTagging' : 's3:PutObject';
  } else if (method === 'GET' || method === 'HEAD') {
    operation = xId ?? (method === 'GET' ? 'GetObject' : 'HeadObject');
    action = url.searchParams.has('tagging') ? 's3:GetObjectTagging' : 's3:GetObject';
  } else if (method === 'DELETE') {
    operation = xId ?? 'DeleteObject';
    action = 's3:DeleteObject';
  } else {
    operation = `${method} object`;
    action = `s3:${method}`;
    resource = `${bucketArn}/${key}`;
  }
  return { operation, checks: [{ action, resource }] };
}

function denyResponse(service: Service, res: ServerResponse, message: string): void {
  if (service === 's3') {
    res.writeHead(403, { 'content-type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>${message}</Message></Error>`,
    );
    return;
  }
  const type = service === 'sqs' ? 'com.amazon.coral.service#AccessDeniedException' : 'AccessDeniedException';
  res.writeHead(400, {
    'content-type': 'application/x-amz-json-1.0',
    ...(service === 'sqs' ? { 'x-amzn-query-error': 'AccessDenied;Sender' } : {}),
  });
  res.end(JSON.stringify({ __type: type, message }));
}

function faultResponse(service: Service, res: ServerResponse, status: number): void {
  if (service === 's3') {
    res.writeHead(status, { 'content-type': 'application/xml' });
    res.end('<Error><Code>ServiceUnavailable</Code><Message>injected by verify:deployment</Message></Error>');
    return;
  }
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
  res.end(JSON.stringify({ __type: 'ServiceUnavailable', message: 'injected by verify:deployment' }));
}

export async function startAwsProxy(options: ProxyOptions): Promise<AwsProxy> {
  const upstream = new URL(options.upstream);
  const context: ConditionContext = {
    // The SDK talks TLS to AWS; only this loopback hop is plain HTTP.
    'aws:SecureTransport': 'true',
    'aws:PrincipalArn': options.roleArn,
    'aws:PrincipalAccount': options.accountId,
    'aws:RequestedRegion': options.region,
    'aws:PrincipalType': 'AssumedRole',
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let identified: { operation: string; checks: ActionRequest[] };
      try {
        identified = identifyCall(
          options.service,
          { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers },
          body,
          options.directory,
        );
      } catch (error) {
        identified = {
          operation: 'unknown',
          checks: [{ action: `${options.service}:?`, resource: String(error) }],
        };
      }
      const checks = identified.checks.map((check) => {
        const owner = options.directory.ownerOf(check.resource);
        const decision = check.resource.startsWith('unknown:')
          ? { allowed: false, reason: check.resource.slice('unknown:'.length), unevaluated: [] }
          : evaluate(
              options.identity,
              options.resourcePolicies.get(owner ?? '') ?? [],
              check,
              options.roleArn,
              {
                ...context,
                's3:x-amz-server-side-encryption': req.headers['x-amz-server-side-encryption'] as
                  | string
                  | undefined,
              },
            );
        return { ...check, decision };
      });
      const allowed = checks.every((c) => c.decision.allowed);
      const fault = allowed
        ? options
            .faults()
            .find((f) => f.service === options.service && f.operation.test(identified.operation))
        : undefined;
      options.record({
        principal: options.principal,
        service: options.service,
        operation: identified.operation,
        checks,
        allowed,
        ...(fault ? { fault: `${fault.status}` } : {}),
      });
      if (!allowed) {
        const denied = checks.find((c) => !c.decision.allowed);
        return denyResponse(
          options.service,
          res,
          `User: ${options.roleArn} is not authorized to perform: ${denied?.action} on resource: ${denied?.resource} (${denied?.decision.reason})`,
        );
      }
      if (fault) return faultResponse(options.service, res, fault.status);
      options.observe?.(identified.operation, parseBody(body, String(req.headers['content-type'] ?? '')));
      const forward = httpRequest(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      forward.end(body);
    });
  });
  server.keepAliveTimeout = 1000;
  return listenOnLoopback(server);
}

/** A catch-all endpoint (`AWS_ENDPOINT_URL`) for services the harness does not emulate: never reaches AWS. */
export async function startUnsupportedEndpoint(
  principal: string,
  record: (call: CallRecord) => void,
): Promise<AwsProxy> {
  const server = createServer((req, res) => {
    const target = String(req.headers['x-amz-target'] ?? `${req.method} ${req.url}`);
    record({
      principal,
      service: 'sqs',
      operation: `unsupported service call ${target} (host ${req.headers.host})`,
      checks: [
        {
          action: target,
          resource: '*',
          decision: { allowed: false, reason: 'service not emulated by the harness', unevaluated: [] },
        },
      ],
      allowed: false,
    });
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(
      JSON.stringify({
        __type: 'AccessDeniedException',
        message: 'service not emulated by verify:deployment',
      }),
    );
  });
  return listenOnLoopback(server);
}
