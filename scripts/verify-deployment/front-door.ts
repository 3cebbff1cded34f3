/**
 * The front door as the template declares it: the HTTP API's routes and Lambda integrations (payload format
 * version from `AWS::ApiGatewayV2::Integration`), the REST API's proxy methods, resource paths, stage and
 * binary media types, or a Lambda Function URL (`AWS::Lambda::Url`: its AuthType, the
 * `AWS::Lambda::Permission`s that let anyone call it, the function's reserved concurrency). Requests become
 * the event that integration would send; the function's answer becomes the response the front door would
 * give (including its own 500/502 when the function fails, 429 when Lambda throttles it).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fromHttpApiResult } from '../../local/http-gateway';
import type { Datapoint } from './alarms';
import type { InvokeResult } from './lambda-runtime';
import {
  type CfnTemplate,
  type Json,
  logicalIdOf,
  props,
  type Resolver,
  resourcesOfType,
  TemplateError,
} from './template';

export interface Route {
  readonly kind: 'http-api' | 'rest-api' | 'function-url';
  readonly apiLogicalId: string;
  readonly method: string;
  /** `/webhooks/{sourceId}` */
  readonly resourcePath: string;
  readonly functionLogicalId: string;
  readonly payloadFormatVersion: string;
  readonly stage: string;
  readonly binaryMediaTypes: readonly string[];
  /** The API's public host name, as the stack outputs it. */
  readonly domainName: string;
  /** Dimension sets of the API's CloudWatch metrics. */
  readonly metricDimensions: readonly Record<string, string>[];
  readonly metricNames: { readonly count: string; readonly err4xx: string; readonly err5xx: string };
  /** Namespace of those metrics. */
  readonly metricNamespace: string;
  /**
   * Why the front door refuses every request before the function runs (a Function URL whose resource
   * policy does not let anonymous callers in answers 403 Forbidden), when it does.
   */
  readonly refusal?: string;
  /** The function's `ReservedConcurrentExecutions`: Lambda throttles invocations beyond it. */
  readonly reservedConcurrency?: number;
}

/** Lambda function logical id inside an integration URI (`Fn::GetAtt [fn, Arn]` somewhere in a Join). */
function functionIn(template: CfnTemplate, value: Json | undefined): string | undefined {
  const text = JSON.stringify(value ?? null);
  const ids = [...text.matchAll(/"Fn::GetAtt":\["([^"]+)","Arn"\]/g)].map((m) => m[1] as string);
  return ids.find((id) => template.Resources[id]?.Type === 'AWS::Lambda::Function');
}

export function routesOf(template: CfnTemplate, resolver: Resolver, region: string): Route[] {
  const routes: Route[] = [];
  for (const [id, r] of resourcesOfType(template, 'AWS::ApiGatewayV2::Route')) {
    const p = props(r);
    const [method = '', path = ''] = String(p.RouteKey ?? '').split(' ');
    // Target: integrations/<Ref to the AWS::ApiGatewayV2::Integration>
    const integrationId = /"Ref":"([^"]+)"/.exec(JSON.stringify(p.Target ?? ''))?.[1];
    const integration = integrationId ? template.Resources[integrationId] : undefined;
    if (!integration) throw new TemplateError(`${id}: route target has no integration`);
    const ip = props(integration);
    const fn = functionIn(template, ip.IntegrationUri);
    if (!fn) continue;
    const apiLogicalId = logicalIdOf(p.ApiId) ?? '';
    const apiId = resolver.string(p.ApiId, `${id}.ApiId`);
    const stage =
      resourcesOfType(template, 'AWS::ApiGatewayV2::Stage')
        .map(([, s]) => props(s))
        .find((s) => logicalIdOf(s.ApiId) === apiLogicalId)?.StageName ?? '$default';
    routes.push({
      kind: 'http-api',
      apiLogicalId,
      method,
      resourcePath: path,
      functionLogicalId: fn,
      // CloudFormation requires the property for Lambda proxy integrations; a missing one is a template bug.
      payloadFormatVersion: String(ip.PayloadFormatVersion ?? '(missing)'),
      stage: String(stage),
      binaryMediaTypes: [],
      domainName: `${apiId}.execute-api.${region}.amazonaws.com`,
      metricDimensions: [{ ApiId: apiId }, { ApiId: apiId, Stage: String(stage) }],
      metricNames: { count: 'Count', err4xx: '4xx', err5xx: '5xx' },
      metricNamespace: 'AWS/ApiGateway',
    });
  }
  for (const [id, r] of resourcesOfType(template, 'AWS::ApiGateway::Method')) {
    const p = props(r);
    const integration = p.Integration as Record<string, Json> | undefined;
    if (integration?.Type !== 'AWS_PROXY') continue;
    const fn = functionIn(template, integration.Uri);
    if (!fn) continue;
    const apiLogicalId = logicalIdOf(p.RestApiId) ?? '';
    const api = props(template.Resources[apiLogicalId] as never);
    const apiId = resolver.string(p.RestApiId, `${id}.RestApiId`);
    const parts: string[] = [];
    let cursor = logicalIdOf(p.ResourceId);
    while (cursor && template.Resources[cursor]?.Type === 'AWS::ApiGateway::Resource') {
      const rp = props(template.Resources[cursor] as never);
      parts.unshift(String(rp.PathPart));
      cursor = logicalIdOf(rp.ParentId);
    }
    const stage =
      resourcesOfType(template, 'AWS::ApiGateway::Stage')
        .map(([, s]) => props(s))
        .find((s) => logicalIdOf(s.RestApiId) === apiLogicalId)?.StageName ?? 'prod';
    const apiName = resolver.string(api.Name ?? apiLogicalId, `${apiLogicalId}.Name`);
    routes.push({
      kind: 'rest-api',
      apiLogicalId,
      method: String(p.HttpMethod),
      resourcePath: `/${parts.join('/')}`,
      functionLogicalId: fn,
      payloadFormatVersion: '1.0',
      stage: String(stage),
      binaryMediaTypes: ((api.BinaryMediaTypes as string[] | undefined) ?? []).map((t) =>
        t.replace('~1', '/'),
      ),
      domainName: `${apiId}.execute-api.${region}.amazonaws.com`,
      metricDimensions: [{ ApiName: apiName }, { ApiName: apiName, Stage: String(stage) }],
      metricNames: { count: 'Count', err4xx: '4XXError', err5xx: '5XXError' },
      metricNamespace: 'AWS/ApiGateway',
    });
  }
  for (const [id, r] of resourcesOfType(template, 'AWS::Lambda::Url')) {
    const p = props(r);
    const fn = functionIn(template, p.TargetFunctionArn);
    if (!fn) throw new TemplateError(`${id}: TargetFunctionArn is not a function of the template`);
    if (p.Qualifier !== undefined) {
      throw new TemplateError(
        `${id}: Qualifier ${JSON.stringify(p.Qualifier)} (an alias URL) is not emulated`,
      );
    }
    const url = new URL(resolver.string({ 'Fn::GetAtt': [id, 'FunctionUrl'] }, `${id}.FunctionUrl`));
    const functionName = resolver.string({ Ref: fn }, fn);
    routes.push({
      kind: 'function-url',
      apiLogicalId: id,
      // A Function URL has no routes: every method and path reaches the function.
      method: 'ANY',
      resourcePath: '/*',
      functionLogicalId: fn,
      payloadFormatVersion: '2.0',
      stage: '$default',
      binaryMediaTypes: [],
      domainName: url.host,
      metricDimensions: [{ FunctionName: functionName }],
      metricNames: { count: 'UrlRequestCount', err4xx: 'Url4xxCount', err5xx: 'Url5xxCount' },
      metricNamespace: 'AWS/Lambda',
      ...functionUrlAccess(template, id, fn, String(p.AuthType ?? '(missing)')),
      ...reservedConcurrencyOf(template, fn),
    });
  }
  return routes;
}

function reservedConcurrencyOf(template: CfnTemplate, fn: string): { reservedConcurrency?: number } {
  const value = props(template.Resources[fn] as never).ReservedConcurrentExecutions;
  return value === undefined ? {} : { reservedConcurrency: Number(value) };
}

/**
 * Whether anonymous callers (providers cannot sign requests with SigV4) get through a Function URL: its
 * AuthType must be NONE, and the function's resource policy must allow `*` both `lambda:InvokeFunctionUrl`
 * (with `FunctionUrlAuthType: NONE`) and `lambda:InvokeFunction` via the URL (required of URLs since
 * October 2025; CDK adds both statements for `authType: NONE`). Else every request is answered 403.
 */
function functionUrlAccess(
  template: CfnTemplate,
  urlId: string,
  fn: string,
  authType: string,
): { refusal?: string } {
  if (authType !== 'NONE') {
    return {
      refusal: `${urlId}: AuthType ${authType}: every request must be SigV4-signed, which webhook providers cannot do`,
    };
  }
  const statements = resourcesOfType(template, 'AWS::Lambda::Permission')
    .map(([, perm]) => props(perm))
    .filter((perm) => functionIn(template, perm.FunctionName) === fn || logicalIdOf(perm.FunctionName) === fn)
    .filter((perm) => perm.Principal === '*');
  const missing: string[] = [];
  if (
    !statements.some(
      (perm) => perm.Action === 'lambda:InvokeFunctionUrl' && perm.FunctionUrlAuthType === 'NONE',
    )
  ) {
    missing.push('lambda:InvokeFunctionUrl (FunctionUrlAuthType NONE)');
  }
  if (
    !statements.some((perm) => perm.Action === 'lambda:InvokeFunction' && perm.InvokedViaFunctionUrl === true)
  ) {
    missing.push('lambda:InvokeFunction (InvokedViaFunctionUrl true)');
  }
  return missing.length
    ? {
        refusal: `${urlId}: no AWS::Lambda::Permission grants Principal "*" ${missing.join(' and ')} on ${fn}: Lambda answers every request 403 Forbidden`,
      }
    : {};
}

/** Content types a Function URL passes as text; any other body arrives base64-encoded. */
function isTextContentType(contentType: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    type.startsWith('text/') ||
    /^application\/([\w.-]+\+)?(json|xml|javascript|yaml|x-www-form-urlencoded)$/.test(type)
  );
}

function matchRoute(route: Route, path: string): Record<string, string> | undefined {
  const names: string[] = [];
  const pattern = route.resourcePath
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\\?\{([^}+]+)\+?\\?\}/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
  const m = new RegExp(`^${pattern}$`).exec(path);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  names.forEach((n, i) => {
    params[n] = decodeURIComponent(m[i + 1] ?? '');
  });
  return params;
}

function mediaTypeMatches(pattern: string, contentType: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const [pt = '', ps = ''] = pattern.toLowerCase().split('/');
  const [t = '', s = ''] = type.split('/');
  return (pt === '*' || pt === t) && (ps === '*' || ps === s);
}

interface Incoming {
  readonly method: string;
  readonly path: string;
  readonly rawQuery: string;
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
}

/** The event the route's integration sends. Exported for tests. */
export function buildEvent(
  route: Route,
  request: Incoming,
  params: Record<string, string>,
): Record<string, unknown> {
  const now = new Date();
  const requestId = randomBytes(8).toString('hex');
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  const joined: Record<string, string> = {};
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] ?? '';
    const value = request.rawHeaders[i + 1] ?? '';
    const lower = name.toLowerCase();
    single[name] = value;
    multi[name] = [...(multi[name] ?? []), value];
    joined[lower] = joined[lower] === undefined ? value : `${joined[lower]},${value}`;
  }
  const query = new URLSearchParams(request.rawQuery);
  const qs: Record<string, string> = {};
  const mqs: Record<string, string[]> = {};
  for (const [k, v] of query) {
    qs[k] = v;
    mqs[k] = [...(mqs[k] ?? []), v];
  }
  const contentType = joined['content-type'] ?? '';
  if (route.kind === 'function-url') {
    // Lambda's Function URL event: the 2.0 shape without a route (routeKey `$default`, no path
    // parameters), cookies apart from the headers, an anonymous caller, and the body as text unless its
    // content type is binary.
    const cookies = joined.cookie?.split(/;\s*/).filter(Boolean);
    const { cookie: _cookie, ...headers } = joined;
    const urlId = route.domainName.split('.')[0];
    const binary = request.body.length > 0 && !isTextContentType(contentType);
    return {
      version: '2.0',
      routeKey: '$default',
      rawPath: request.path,
      rawQueryString: request.rawQuery,
      ...(cookies?.length ? { cookies } : {}),
      headers: { ...headers, host: route.domainName },
      ...(Object.keys(qs).length
        ? { queryStringParameters: Object.fromEntries(Object.entries(mqs).map(([k, v]) => [k, v.join(',')])) }
        : {}),
      requestContext: {
        accountId: 'anonymous',
        apiId: urlId,
        domainName: route.domainName,
        domainPrefix: urlId,
        http: {
          method: request.method,
          path: request.path,
          protocol: 'HTTP/1.1',
          sourceIp: request.sourceIp,
          userAgent: joined['user-agent'] ?? '',
        },
        requestId,
        routeKey: '$default',
        stage: '$default',
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
      },
      ...(request.body.length > 0
        ? { body: binary ? request.body.toString('base64') : request.body.toString('utf8') }
        : {}),
      isBase64Encoded: binary,
    };
  }
  if (route.payloadFormatVersion === '2.0') {
    return {
      version: '2.0',
      routeKey: `${route.method} ${route.resourcePath}`,
      rawPath: request.path,
      rawQueryString: request.rawQuery,
      headers: { ...joined, host: route.domainName },
      ...(Object.keys(qs).length
        ? { queryStringParameters: Object.fromEntries(Object.entries(mqs).map(([k, v]) => [k, v.join(',')])) }
        : {}),
      requestContext: {
        accountId: '000000000000',
        apiId: route.domainName.split('.')[0],
        domainName: route.domainName,
        domainPrefix: route.domainName.split('.')[0],
        http: {
          method: request.method,
          path: request.path,
          protocol: 'HTTP/1.1',
          sourceIp: request.sourceIp,
          userAgent: joined['user-agent'] ?? '',
        },
        requestId,
        routeKey: `${route.method} ${route.resourcePath}`,
        stage: route.stage,
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
      },
      pathParameters: params,
      // HTTP APIs hand Lambda proxy integrations the body base64-encoded.
      body: request.body.toString('base64'),
      isBase64Encoded: true,
    };
  }
  if (route.payloadFormatVersion !== '1.0') {
    throw new TemplateError(
      `PayloadFormatVersion "${route.payloadFormatVersion}" of the ${route.method} ${route.resourcePath} integration is not one API Gateway sends to Lambda (1.0 or 2.0)`,
    );
  }
  const binary =
    route.kind === 'http-api' ? true : route.binaryMediaTypes.some((t) => mediaTypeMatches(t, contentType));
  const stagePath = route.kind === 'rest-api' ? `/${route.stage}${request.path}` : request.path;
  return {
    version: route.kind === 'http-api' ? '1.0' : undefined,
    resource: route.resourcePath,
    path: request.path,
    httpMethod: request.method,
    headers: { ...single, Host: route.domainName },
    multiValueHeaders: { ...multi, Host: [route.domainName] },
    queryStringParameters: Object.keys(qs).length ? qs : null,
    multiValueQueryStringParameters: Object.keys(mqs).length ? mqs : null,
    pathParameters: params,
    stageVariables: null,
    requestContext: {
      accountId: '000000000000',
      apiId: route.domainName.split('.')[0],
      domainName: route.domainName,
      httpMethod: request.method,
      identity: { sourceIp: request.sourceIp, userAgent: joined['user-agent'] ?? '' },
      path: stagePath,
      protocol: 'HTTP/1.1',
      requestId,
      requestTimeEpoch: now.getTime(),
      resourcePath: route.resourcePath,
      stage: route.stage,
    },
    // REST APIs pass text bodies as (UTF-8 decoded) strings unless the content type is a binary media type.
    body:
      request.body.length === 0
        ? null
        : binary
          ? request.body.toString('base64')
          : request.body.toString('utf8'),
    isBase64Encoded: binary,
  };
}

/** The HTTP response API Gateway makes of an invocation's outcome. */
export function toResponse(
  route: Route,
  outcome: InvokeResult,
): { status: number; headers: Record<string, string | string[]>; body: Buffer } {
  const json = (status: number, message: string) => ({
    status,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify({ message })),
  });
  // Lambda refused the invocation (reserved concurrency reached): a Function URL passes Lambda's 429 on;
  // behind API Gateway it is a failed integration like any other.
  if (outcome.throttled && route.kind === 'function-url') return json(429, 'Rate Exceeded.');
  if (!outcome.ok) {
    if (route.kind === 'function-url') return json(502, 'Internal Server Error');
    return route.kind === 'http-api'
      ? json(500, 'Internal Server Error')
      : json(502, 'Internal server error');
  }
  if (route.payloadFormatVersion === '2.0') return fromHttpApiResult(outcome.result as never);
  const result = outcome.result as {
    statusCode?: unknown;
    headers?: Record<string, string>;
    multiValueHeaders?: Record<string, string[]>;
    body?: string;
    isBase64Encoded?: boolean;
  } | null;
  if (!result || typeof result.statusCode !== 'number') {
    // Payload 1.0 needs a statusCode; anything else is a malformed Lambda proxy response.
    return route.kind === 'http-api'
      ? json(500, 'Internal Server Error')
      : json(502, 'Internal server error');
  }
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
  for (const [k, v] of Object.entries(result.multiValueHeaders ?? {}))
    headers[k.toLowerCase()] = v.map(String);
  const body = result.isBase64Encoded
    ? Buffer.from(result.body ?? '', 'base64')
    : Buffer.from(result.body ?? '', 'utf8');
  return { status: result.statusCode, headers, body };
}

export interface FrontDoor {
  readonly url: string;
  readonly routes: readonly Route[];
  /** Public URL (as the stack outputs it) → local URL. */
  localUrl(publicUrl: string): string;
  stop(): Promise<void>;
}

export async function startFrontDoor(
  routes: readonly Route[],
  invoke: (functionLogicalId: string, event: unknown) => Promise<InvokeResult>,
  onMetric: (point: Datapoint) => void,
): Promise<FrontDoor> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://local');
      const sourceIp = '203.0.113.10';
      let matched: { route: Route; params: Record<string, string>; path: string } | undefined;
      for (const route of routes) {
        if (route.kind === 'function-url') {
          matched = { route, params: {}, path: url.pathname };
          break;
        }
        const path =
          route.kind === 'rest-api' && url.pathname.startsWith(`/${route.stage}/`)
            ? url.pathname.slice(route.stage.length + 1)
            : url.pathname;
        if (route.kind === 'rest-api' && path === url.pathname) continue;
        const params = matchRoute(route, path);
        if (params && route.method === req.method) {
          matched = { route, params, path };
          break;
        }
      }
      const send = (status: number, headers: Record<string, string | string[]>, body: Buffer) => {
        res.writeHead(status, headers);
        res.end(body);
      };
      if (!matched) {
        return send(404, { 'content-type': 'application/json' }, Buffer.from('{"message":"Not Found"}'));
      }
      const { route, params, path } = matched;
      const record = (name: string, value: number) => {
        for (const dimensions of route.metricDimensions)
          onMetric({ namespace: route.metricNamespace, name, dimensions, value, source: 'front door' });
      };
      let response: { status: number; headers: Record<string, string | string[]>; body: Buffer };
      try {
        if (route.refusal) {
          throw Object.assign(new Error(route.refusal), { status: 403 });
        }
        const event = buildEvent(
          route,
          {
            method: req.method ?? 'GET',
            path,
            rawQuery: url.search.slice(1),
            rawHeaders: req.rawHeaders,
            body: Buffer.concat(chunks),
            sourceIp,
          },
          params,
        );
        response = toResponse(route, await invoke(route.functionLogicalId, event));
      } catch (error) {
        response = {
          status: (error as { status?: number }).status ?? 500,
          headers: { 'x-verify-error': 'harness' },
          body: Buffer.from(String((error as Error).message)),
        };
      }
      record(route.metricNames.count, 1);
      record(route.metricNames.err4xx, response.status >= 400 && response.status < 500 ? 1 : 0);
      record(route.metricNames.err5xx, response.status >= 500 ? 1 : 0);
      send(response.status, response.headers, response.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    routes,
    localUrl: (publicUrl) => {
      const u = new URL(publicUrl);
      return `${base}${u.pathname}${u.search}`;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
