import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { normaliseHttpEvent, publicUrlFor, sourceIdOf } from '../../../lambdas/shared/request';
import {
  functionUrlEvent,
  HTTP_DOMAIN,
  httpV2Event,
  REST_DOMAIN,
  restV1Event,
  URL_DOMAIN,
} from './http-events';

const bytes = Buffer.from([0x00, 0xff, 0x7b, 0xc3, 0xa9, 0x0a, 0x80]);

describe('normaliseHttpEvent', () => {
  it('REST v1: multi-value headers lower-cased with every value, base64 body decoded to the exact bytes', () => {
    const request = normaliseHttpEvent(
      restV1Event({
        path: '/webhooks/stripe',
        headers: { 'Stripe-Signature': ['a', 'b'], 'Content-Type': 'application/json' },
        body: bytes,
        base64: true,
        query: 'b=2&a=1&a=3',
        sourceIp: '198.51.100.1',
      }),
    );
    assert.equal(request.format, 'rest-v1');
    assert.equal(request.method, 'POST');
    assert.deepEqual(request.headers['stripe-signature'], ['a', 'b']);
    assert.deepEqual(request.headers['content-type'], ['application/json']);
    assert.deepEqual(request.body, bytes);
    assert.equal(request.sourceIp, '198.51.100.1');
    assert.equal(request.sourceIdParameter, 'stripe');
    // The stage is part of the URL the provider called; v1 has no raw query string, so it is re-encoded.
    assert.equal(request.contextUrl, `https://${REST_DOMAIN}/prod/webhooks/stripe?b=2&a=1&a=3`);
  });

  it('REST v1 without multiValueHeaders falls back to headers', () => {
    const event = restV1Event({ path: '/webhooks/x', headers: { 'X-One': '1' }, body: 'plain ✓' });
    const request = normaliseHttpEvent({ ...event, multiValueHeaders: {} });
    assert.deepEqual(request.headers['x-one'], ['1']);
    assert.equal(request.body.toString('utf8'), 'plain ✓');
  });

  it('HTTP API v2: comma-joined repeats stay one value, cookies come back as a header, raw query kept', () => {
    const request = normaliseHttpEvent(
      httpV2Event({
        path: '/webhooks/svix',
        headers: { 'X-Dup': ['a', 'b'], Cookie: 'k=v; j=w' },
        body: bytes,
        base64: true,
        query: 'z=%2F&a=1',
        sourceIp: '2001:db8::1',
      }),
    );
    assert.equal(request.format, 'http-v2');
    assert.deepEqual(request.headers['x-dup'], ['a,b']);
    assert.deepEqual(request.headers.cookie, ['k=v; j=w']);
    assert.deepEqual(request.body, bytes);
    assert.equal(request.rawQueryString, 'z=%2F&a=1');
    assert.equal(request.contextUrl, `https://${HTTP_DOMAIN}/webhooks/svix?z=%2F&a=1`);
    assert.equal(request.sourceIp, '2001:db8::1');
  });

  it('Function URL: recognised by its domain, no path parameter, source id from the path', () => {
    const request = normaliseHttpEvent(functionUrlEvent({ path: '/webhooks/hubspot', body: '[]' }));
    assert.equal(request.format, 'function-url');
    assert.equal(request.sourceIdParameter, undefined);
    assert.equal(sourceIdOf(request), 'hubspot');
    assert.equal(request.contextUrl, `https://${URL_DOMAIN}/webhooks/hubspot`);
  });

  it('no body is an empty buffer; header names like constructor or __proto__ are plain names', () => {
    const request = normaliseHttpEvent(
      httpV2Event({ path: '/webhooks/x', headers: { constructor: 'c', __proto__: 'p', toString: 't' } }),
    );
    assert.equal(request.body.length, 0);
    assert.deepEqual(request.headers.constructor, ['c']);
    assert.deepEqual(request.headers.tostring, ['t']);
  });

  it('tolerates events missing their optional parts', () => {
    const request = normaliseHttpEvent({ version: '2.0' } as unknown as APIGatewayProxyEventV2);
    assert.equal(request.method, '');
    assert.equal(request.path, '');
    assert.equal(request.contextUrl, undefined);
    assert.equal(sourceIdOf(request), undefined);
  });
});

describe('sourceIdOf', () => {
  const of = (path: string) => sourceIdOf(normaliseHttpEvent(functionUrlEvent({ path })));
  it('takes the last segment after /webhooks/, with or without a stage prefix or trailing slash', () => {
    assert.equal(of('/webhooks/stripe'), 'stripe');
    assert.equal(of('/prod/webhooks/stripe'), 'stripe');
    assert.equal(of('/webhooks/stripe/'), 'stripe');
    assert.equal(of('/webhooks/a%2Db'), 'a-b');
  });
  it('is undefined for other paths and undecodable segments', () => {
    assert.equal(of('/webhooks'), undefined);
    assert.equal(of('/webhooks/stripe/extra'), undefined);
    assert.equal(of('/hooks/stripe'), undefined);
    assert.equal(of('/webhooks/%E0%A4%A'), undefined);
  });
});

describe('publicUrlFor', () => {
  const request = normaliseHttpEvent(httpV2Event({ path: '/webhooks/twilio', query: 'bodySHA256=abc' }));
  it("prefers the source's configured URL and keeps the received query string", () => {
    assert.equal(
      publicUrlFor(request, 'https://hooks.example.com/webhooks/twilio'),
      'https://hooks.example.com/webhooks/twilio?bodySHA256=abc',
    );
  });
  it('never lets a configured query stand in for the received one (it would authenticate every request)', () => {
    assert.equal(
      publicUrlFor(request, 'https://hooks.example.com/x?token=1'),
      'https://hooks.example.com/x?bodySHA256=abc',
    );
    const noQuery = normaliseHttpEvent(httpV2Event({ path: '/webhooks/twilio' }));
    assert.equal(
      publicUrlFor(noQuery, 'https://hooks.example.com/x?token=1#f'),
      'https://hooks.example.com/x',
    );
  });
  it('otherwise rebuilds it from the request context, or the Host header', () => {
    assert.equal(publicUrlFor(request, undefined), `https://${HTTP_DOMAIN}/webhooks/twilio?bodySHA256=abc`);
    const bare = { ...request, contextUrl: undefined, headers: { host: ['h.example'] } };
    assert.equal(publicUrlFor(bare, undefined), 'https://h.example/webhooks/twilio?bodySHA256=abc');
  });
});
