import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CdpClient, canonicalJson, secretApiKeyProvider } from '../../../lambdas/cdp/client';
import { CdpPermanentError, CdpRetryableError, parseRetryAfter } from '../../../lambdas/cdp/errors';
import { type CdpStandIn, startCdpStandIn } from '../../../local/cdp-stand-in';

describe('CDP client against the stand-in', () => {
  let standIn: CdpStandIn;
  let client: CdpClient;
  before(async () => {
    standIn = await startCdpStandIn({ apiKey: 'test-key' });
    client = new CdpClient({
      baseUrl: standIn.url,
      apiKey: { getApiKey: async () => 'test-key' },
      requestTimeoutMs: 300,
    });
  });
  after(async () => {
    client.close();
    await standIn.stop();
  });
  beforeEach(() => standIn.reset());

  it('upserts by match key and appends, with Bearer key and Idempotency-Key', async () => {
    const upsert = await client.upsert('profiles', { email: 'a@example.com', plan: 'pro' }, 'email', {
      idempotencyKey: 'k1',
    });
    assert.equal(upsert.status, 200);
    assert.equal(upsert.replayed, false);
    await client.upsert('profiles', { email: 'a@example.com', status: 'active' }, 'email', {
      idempotencyKey: 'k2',
    });
    assert.deepEqual(standIn.record('profiles', 'a@example.com'), {
      email: 'a@example.com',
      plan: 'pro',
      status: 'active',
    });
    const append = await client.append('events', { name: 'x' }, { idempotencyKey: 'k3' });
    assert.equal(append.status, 201);
    assert.deepEqual(standIn.records('events'), [{ name: 'x' }]);
    assert.deepEqual(
      standIn.requests.map((r) => r.idempotencyKey),
      ['k1', 'k2', 'k3'],
    );
  });

  it('the same Idempotency-Key is replayed with no second effect', async () => {
    await client.append('events', { n: 1 }, { idempotencyKey: 'same' });
    const second = await client.append('events', { n: 1 }, { idempotencyKey: 'same' });
    assert.equal(second.replayed, true);
    assert.equal(standIn.records('events').length, 1);
    assert.equal(standIn.effects().get('same'), 1);
  });

  it('classifies 5xx and 429 as retryable (with Retry-After) and 422/400 as permanent', async () => {
    standIn.queueFaults({ status: 503 }, { status: 429, retryAfterSeconds: 7 }, { status: 422 });
    await assert.rejects(client.append('events', { n: 1 }, { idempotencyKey: 'a' }), (error: unknown) => {
      assert.ok(error instanceof CdpRetryableError);
      assert.equal(error.status, 503);
      return true;
    });
    await assert.rejects(client.append('events', { n: 1 }, { idempotencyKey: 'a' }), (error: unknown) => {
      assert.ok(error instanceof CdpRetryableError);
      assert.equal(error.status, 429);
      assert.equal(error.retryAfterMs, 7000);
      return true;
    });
    await assert.rejects(client.append('events', { n: 1 }, { idempotencyKey: 'a' }), (error: unknown) => {
      assert.ok(error instanceof CdpPermanentError);
      assert.equal(error.status, 422);
      assert.match(error.message, /CDP_ETL\.VALIDATION\.REQUEST_SCHEMA/);
      return true;
    });
    await assert.rejects(
      client.upsert('profiles', { name: 'no email' }, 'email', { idempotencyKey: 'b' }),
      CdpPermanentError,
    );
  });

  it('times out within the smaller of its own timeout and the caller budget (retryable)', async () => {
    standIn.queueFaults({ timeout: true, timeoutMs: 5000 });
    const started = Date.now();
    await assert.rejects(
      client.append('events', { n: 1 }, { idempotencyKey: 't', timeoutMs: 150 }),
      (error: unknown) => {
        assert.ok(error instanceof CdpRetryableError);
        assert.equal(error.kind, 'timeout');
        return true;
      },
    );
    assert.ok(Date.now() - started < 1000);
  });

  it('network errors are retryable', async () => {
    const dead = new CdpClient({ baseUrl: 'http://127.0.0.1:1', apiKey: { getApiKey: async () => 'k' } });
    await assert.rejects(dead.append('events', {}, { idempotencyKey: 'n' }), (error: unknown) => {
      assert.ok(error instanceof CdpRetryableError);
      assert.equal(error.kind, 'network');
      return true;
    });
    dead.close();
  });

  it('on 401 it re-reads the key once (rotation) before giving up permanently', async () => {
    const keys = ['stale-key', 'test-key'];
    let invalidations = 0;
    const rotating = new CdpClient({
      baseUrl: standIn.url,
      apiKey: {
        getApiKey: async () => keys[invalidations] ?? 'none',
        invalidate: () => {
          invalidations++;
        },
      },
    });
    const result = await rotating.append('events', { n: 1 }, { idempotencyKey: 'r' });
    assert.equal(result.status, 201);
    assert.equal(invalidations, 1);
    const wrong = new CdpClient({ baseUrl: standIn.url, apiKey: { getApiKey: async () => 'wrong' } });
    await assert.rejects(wrong.append('events', {}, { idempotencyKey: 'w' }), (error: unknown) => {
      assert.ok(error instanceof CdpPermanentError);
      assert.equal(error.status, 401);
      return true;
    });
    rotating.close();
    wrong.close();
  });

  it('reads the key from a secret source (plain or {"apiKey"}) and never puts it in error messages', async () => {
    const provider = secretApiKeyProvider({ getActiveSecrets: async () => ['secret-value'] }, 'id');
    assert.equal(await provider.getApiKey(), 'secret-value');
    standIn.queueFaults({ status: 500 });
    const c = new CdpClient({ baseUrl: standIn.url, apiKey: { getApiKey: async () => 'test-key' } });
    await assert.rejects(c.append('events', {}, { idempotencyKey: 'm' }), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.doesNotMatch(error.message, /test-key/);
      return true;
    });
    c.close();
  });

  it('says which failures may hide an applied write: 5xx, timeouts after sending; not 4xx, 429 or no connection', async () => {
    standIn.queueFaults(
      { status: 503 },
      { status: 429, retryAfterSeconds: 1 },
      { status: 422 },
      { timeout: true, applyFirst: true, timeoutMs: 5000 },
    );
    const maybe = async (call: Promise<unknown>) => {
      let flag: boolean | undefined;
      await call.catch((error: unknown) => {
        flag = (error as { maybeApplied?: boolean }).maybeApplied;
      });
      return flag;
    };
    assert.equal(await maybe(client.append('events', { n: 1 }, { idempotencyKey: 'c1' })), true);
    assert.equal(await maybe(client.append('events', { n: 1 }, { idempotencyKey: 'c2' })), false);
    assert.equal(await maybe(client.append('events', { n: 1 }, { idempotencyKey: 'c3' })), false);
    assert.equal(
      await maybe(client.append('events', { n: 1 }, { idempotencyKey: 'c4', timeoutMs: 150 })),
      true,
    );
    assert.equal(standIn.effects().get('c4'), 1, 'the timed-out write did land');
    const refused = new CdpClient({ baseUrl: 'http://127.0.0.1:1', apiKey: { getApiKey: async () => 'k' } });
    assert.equal(await maybe(refused.append('events', {}, { idempotencyKey: 'c5' })), false);
    refused.close();
  });

  it('sends the same bytes for the same content whatever the key order (a retry is never refused as a key reuse)', async () => {
    await client.upsert('profiles', { email: 'k@example.com', a: 1, nested: { y: 2, x: 1 } }, 'email', {
      idempotencyKey: 'order',
    });
    const again = await client.upsert(
      'profiles',
      { nested: { x: 1, y: 2 }, a: 1, email: 'k@example.com' },
      'email',
      {
        idempotencyKey: 'order',
      },
    );
    assert.equal(again.replayed, true);
    assert.equal(canonicalJson({ b: [{ d: 1, c: 2 }], a: null }), '{"a":null,"b":[{"c":2,"d":1}]}');
  });

  it('rejects object names that would escape the records path', async () => {
    await assert.rejects(client.append('../admin', {}, { idempotencyKey: 'x' }), CdpPermanentError);
  });
});

describe('CDP client connect timeout', () => {
  it('a server that accepts but never answers is a retryable timeout', async () => {
    const server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    const client = new CdpClient({
      baseUrl: `http://127.0.0.1:${port}`,
      apiKey: { getApiKey: async () => 'k' },
      requestTimeoutMs: 200,
    });
    await assert.rejects(client.append('events', {}, { idempotencyKey: 'x' }), CdpRetryableError);
    client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('parseRetryAfter', () => {
  it('reads delta seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('5', 0), 5000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4000), 6000);
    assert.equal(parseRetryAfter('soon', 0), undefined);
    assert.equal(parseRetryAfter(undefined, 0), undefined);
  });
});
