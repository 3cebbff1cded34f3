import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  fromHttpApiResult,
  type HttpGateway,
  startHttpGateway,
  toHttpApiEvent,
} from '../../../local/http-gateway';

describe('API Gateway payload format 2.0 events', () => {
  it('lower-cases headers, joins repeats with commas, moves cookies and base64-encodes the body', () => {
    const event = toHttpApiEvent(
      {
        method: 'POST',
        target: '/webhooks/stripe?a=1&a=2&b=x%20y',
        rawHeaders: ['Host', 'localhost:3000', 'X-Dup', 'one', 'x-dup', 'two', 'Cookie', 'c1=v1; c2=v2'],
        body: Buffer.from([0xff, 0x00, 0x41]),
        sourceIp: '127.0.0.1',
        nowMs: Date.UTC(2026, 10, 23, 12, 0, 5),
      },
      'stripe',
    );
    assert.equal(event.version, '2.0');
    assert.equal(event.routeKey, 'POST /webhooks/{sourceId}');
    assert.equal(event.rawPath, '/webhooks/stripe');
    assert.equal(event.rawQueryString, 'a=1&a=2&b=x%20y');
    assert.deepEqual(event.queryStringParameters, { a: '1,2', b: 'x y' });
    assert.deepEqual(event.headers, { host: 'localhost:3000', 'x-dup': 'one,two' });
    assert.deepEqual(event.cookies, ['c1=v1', 'c2=v2']);
    assert.deepEqual(event.pathParameters, { sourceId: 'stripe' });
    assert.equal(event.isBase64Encoded, true);
    assert.deepEqual(Buffer.from(event.body ?? '', 'base64'), Buffer.from([0xff, 0x00, 0x41]));
    assert.equal(event.requestContext.http.method, 'POST');
    assert.equal(event.requestContext.http.sourceIp, '127.0.0.1');
    assert.equal(event.requestContext.domainName, 'localhost');
    assert.equal(event.requestContext.time, '23/Nov/2026:12:00:05 +0000');
  });

  it('passes a path segment with a broken percent-escape through instead of throwing', () => {
    const event = toHttpApiEvent(
      {
        method: 'POST',
        target: '/webhooks/%E0%A4%A',
        rawHeaders: [],
        body: Buffer.alloc(0),
        sourceIp: '127.0.0.1',
        nowMs: 0,
      },
      '%E0%A4%A',
    );
    assert.deepEqual(event.pathParameters, { sourceId: '%E0%A4%A' });
  });

  it('maps results as API Gateway does: structured, or a bare value as 200 JSON', () => {
    assert.deepEqual(
      fromHttpApiResult({ statusCode: 401, headers: { 'Content-Type': 'text/plain' }, body: 'no' }),
      {
        status: 401,
        headers: { 'content-type': 'text/plain' },
        body: Buffer.from('no'),
      },
    );
    const bare = fromHttpApiResult({ ok: true } as unknown as string);
    assert.equal(bare.status, 200);
    assert.equal(bare.body.toString(), '{"ok":true}');
    assert.equal(
      fromHttpApiResult({ statusCode: 200, body: 'aGk=', isBase64Encoded: true }).body.toString(),
      'hi',
    );
  });
});

describe('local HTTP gateway', () => {
  const gateways: HttpGateway[] = [];
  after(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
  });

  it('routes POST /webhooks/{sourceId} to the handler and answers 404/500/503 like API Gateway', async () => {
    const seen: APIGatewayProxyEventV2[] = [];
    const gateway = await startHttpGateway({
      port: 0,
      functionTimeoutMs: 300,
      handler: async (event) => {
        seen.push(event);
        if (event.pathParameters?.sourceId === 'boom') throw new Error('boom');
        if (event.pathParameters?.sourceId === 'slow') await new Promise((r) => setTimeout(r, 1000));
        return { statusCode: 202, body: '{"accepted":1}', headers: { 'content-type': 'application/json' } };
      },
    });
    gateways.push(gateway);
    const ok = await fetch(`${gateway.url}/webhooks/stripe?x=1`, { method: 'POST', body: 'raw bytes' });
    assert.equal(ok.status, 202);
    assert.equal(await ok.text(), '{"accepted":1}');
    assert.equal(Buffer.from(seen[0]?.body ?? '', 'base64').toString(), 'raw bytes');
    assert.equal(seen[0]?.rawQueryString, 'x=1');

    assert.equal((await fetch(`${gateway.url}/webhooks/stripe`)).status, 404);
    assert.equal((await fetch(`${gateway.url}/other`, { method: 'POST', body: 'x' })).status, 404);
    const original = console.error;
    console.error = () => {};
    try {
      assert.equal((await fetch(`${gateway.url}/webhooks/boom`, { method: 'POST', body: 'x' })).status, 500);
    } finally {
      console.error = original;
    }
    assert.equal((await fetch(`${gateway.url}/webhooks/slow`, { method: 'POST', body: 'x' })).status, 503);
  });

  it('says which port is busy and how to choose another', async () => {
    const first = await startHttpGateway({ port: 0, handler: async () => ({ statusCode: 200 }) });
    gateways.push(first);
    await assert.rejects(
      startHttpGateway({ port: first.port, handler: async () => ({ statusCode: 200 }) }),
      (error: Error) => error.name === 'PrerequisiteError' && error.message.includes(`Port ${first.port}`),
    );
  });
});
