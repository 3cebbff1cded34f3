/**
 * The Function URL front door of verify:deployment: the event it builds is the one Lambda sends (and the
 * ingest's normaliser reads it as a Function URL request with the exact bytes and the raw query), and its
 * answers for failed and throttled invocations are Lambda's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normaliseHttpEvent } from '../../../lambdas/shared/request';
import { buildEvent, type Route, toResponse } from '../../../scripts/verify-deployment/front-door';

const route: Route = {
  kind: 'function-url',
  apiLogicalId: 'IngestFunctionUrl',
  method: 'ANY',
  resourcePath: '/*',
  functionLogicalId: 'IngestFunction',
  payloadFormatVersion: '2.0',
  stage: '$default',
  binaryMediaTypes: [],
  domainName: 'abcdefabcdefabcdefabcdefabcdef12.lambda-url.eu-west-1.on.aws',
  metricDimensions: [{ FunctionName: 'ingest' }],
  metricNames: { count: 'UrlRequestCount', err4xx: 'Url4xxCount', err5xx: 'Url5xxCount' },
  metricNamespace: 'AWS/Lambda',
  reservedConcurrency: 20,
};

function request(contentType: string, body: Buffer) {
  return {
    method: 'POST',
    path: '/webhooks/stripe',
    rawQuery: 'note=a%20b&tag=1&note=2',
    rawHeaders: ['Content-Type', contentType, 'Cookie', 'a=1; b=2', 'X-Sig', 'v1', 'X-Sig', 'v2'],
    body,
    sourceIp: '203.0.113.10',
  };
}

describe('verify:deployment Function URL front door', () => {
  it('sends text bodies as text and binary bodies base64-encoded, in the Function URL shape', () => {
    const json = Buffer.from('{"id":"évt"}');
    const text = buildEvent(route, request('application/json; charset=utf-8', json), {}) as Record<
      string,
      unknown
    >;
    assert.equal(text.isBase64Encoded, false);
    assert.equal(text.body, json.toString('utf8'));
    assert.equal(text.routeKey, '$default');
    assert.equal(text.pathParameters, undefined);
    assert.deepEqual(text.cookies, ['a=1', 'b=2']);
    assert.equal((text.headers as Record<string, string>).cookie, undefined);
    assert.equal((text.headers as Record<string, string>)['x-sig'], 'v1,v2');
    assert.equal((text.requestContext as Record<string, unknown>).accountId, 'anonymous');

    const bytes = Buffer.from([0, 255, 1, 128]);
    const binary = buildEvent(route, request('application/octet-stream', bytes), {}) as Record<
      string,
      unknown
    >;
    assert.equal(binary.isBase64Encoded, true);
    assert.equal(binary.body, bytes.toString('base64'));

    // What the ingest makes of it: a Function URL request, the exact bytes, the query as sent.
    const normalised = normaliseHttpEvent(binary as never);
    assert.equal(normalised.format, 'function-url');
    assert.deepEqual(normalised.body, bytes);
    assert.equal(normalised.rawQueryString, 'note=a%20b&tag=1&note=2');
    assert.equal(
      normalised.contextUrl,
      `https://${route.domainName}/webhooks/stripe?note=a%20b&tag=1&note=2`,
    );
  });

  it("answers Lambda's 502 for a failed invocation and 429 for a throttled one", () => {
    assert.equal(toResponse(route, { ok: false, error: 'Runtime.ExitError', durationMs: 1 }).status, 502);
    assert.equal(
      toResponse(route, { ok: false, throttled: true, error: 'TooManyRequestsException', durationMs: 0 })
        .status,
      429,
    );
    const ok = toResponse(route, {
      ok: true,
      result: { statusCode: 202, headers: { 'content-type': 'application/json' }, body: '{"received":1}' },
      durationMs: 1,
    });
    assert.equal(ok.status, 202);
    assert.equal(ok.body.toString(), '{"received":1}');
  });
});
