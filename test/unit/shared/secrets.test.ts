/**
 * The secret cache's rules, on a fake client and a simulated clock: empty values are no secret (breach 3
 * of issue 13), and a Secrets Manager outage is served from memory, retried at a bounded rate, and only
 * for a bounded time (breach 6). The same rules against the real SDK and the stand-in:
 * test/integration/ingest/secrets.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  CachedSecretsManagerSource,
  DEFAULT_SECRET_CACHE_POLICY,
  parseSecretString,
  SecretUnavailableError,
} from '../../../lambdas/shared/secrets';

describe('parseSecretString: no empty secret, in any form', () => {
  const EMPTY_FORMS = [
    '',
    '   ',
    '\n',
    '{"secret": ""}',
    '{"secret": "   "}',
    '{"secret": "\\n\\t"}',
    '{"apiKey": ""}',
    '{"apiKey": " "}',
    '{"secrets": []}',
    '{"secrets": [""]}',
    '{"secrets": ["", " ", "\\t"]}',
    '{"secrets": [null, 1, {}]}',
    '{"secret": null}',
    '{"other": "value"}',
    '{}',
    ' {"secret": ""} ',
  ];
  for (const form of EMPTY_FORMS) {
    it(`${JSON.stringify(form)} holds no secret`, () => {
      assert.deepEqual(parseSecretString(form), []);
    });
  }

  it('keeps real values, newest first, and drops only the blank ones beside them', () => {
    assert.deepEqual(parseSecretString('{"secrets": ["new", "", " ", "old"]}'), ['new', 'old']);
    assert.deepEqual(parseSecretString('{"secret": "s"}'), ['s']);
    assert.deepEqual(parseSecretString('{"apiKey": "k"}'), ['k']);
    assert.deepEqual(parseSecretString('plain'), ['plain']);
    assert.deepEqual(parseSecretString('{not json'), ['{not json']);
  });
});

type Answer = { ok: true; value: string } | { ok: false } | { hang: true };

/** A GetSecretValue client whose answers the test scripts; records every call. */
class FakeClient {
  calls = 0;
  answer: Answer = { ok: true, value: '{"secrets":["v1"]}' };
  private readonly hanging: (() => void)[] = [];

  send(): Promise<{ SecretString: string }> {
    this.calls++;
    const answer = this.answer;
    if ('hang' in answer) {
      return new Promise((_, reject) => {
        this.hanging.push(() => reject(Object.assign(new Error('timed out'), { name: 'TimeoutError' })));
      });
    }
    if (!answer.ok) {
      return Promise.reject(Object.assign(new Error('down'), { name: 'InternalServiceError' }));
    }
    return Promise.resolve({ SecretString: answer.value });
  }

  /** Lets every hanging call fail, as the client's request timeout eventually makes it. */
  timeOut(): void {
    for (const fail of this.hanging.splice(0)) fail();
  }

  get pending(): number {
    return this.hanging.length;
  }
}

const TTL = DEFAULT_SECRET_CACHE_POLICY.ttlMs;
const RETRY = DEFAULT_SECRET_CACHE_POLICY.retryIntervalMs;
const MAX_STALE = DEFAULT_SECRET_CACHE_POLICY.maxStalenessMs;
const settle = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const client = new FakeClient();
  let now = 1_000_000;
  const source = new CachedSecretsManagerSource(client as unknown as SecretsManagerClient, {
    now: () => now,
    refreshWaitMs: 5,
  });
  return {
    client,
    source,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('CachedSecretsManagerSource', () => {
  it('serves from memory within the TTL, and reads again after it', async () => {
    const { client, source, advance } = setup();
    assert.deepEqual(await source.getActiveSecrets('s'), ['v1']);
    advance(TTL - 1);
    assert.deepEqual(await source.getActiveSecrets('s'), ['v1']);
    assert.equal(client.calls, 1);
    client.answer = { ok: true, value: '{"secrets":["v2","v1"]}' };
    advance(1);
    assert.deepEqual(await source.getActiveSecrets('s'), ['v2', 'v1'], 'a quick refresh is waited for');
    assert.equal(client.calls, 2);
  });

  it('an empty secret is a successful read of no secret', async () => {
    const { client, source } = setup();
    client.answer = { ok: true, value: '{"secret":""}' };
    assert.deepEqual(await source.getActiveSecrets('s'), []);
  });

  it('during an outage after the TTL: last values served at once, one refresh in flight, attempts spaced', async () => {
    const { client, source, advance } = setup();
    await source.getActiveSecrets('s');
    client.answer = { hang: true };
    advance(TTL);
    // The first request waits for the refresh only briefly (refreshWaitMs), then is served the last values.
    assert.deepEqual(await source.getActiveSecrets('s'), ['v1']);
    assert.equal(client.calls, 2);
    // While that refresh hangs, 50 requests are served without another call and without waiting on it.
    for (let i = 0; i < 50; i++) assert.deepEqual(await source.getActiveSecrets('s'), ['v1']);
    assert.equal(client.calls, 2);
    assert.equal(client.pending, 1, 'every request was answered while the refresh was still pending');
    client.timeOut();
    await settle();
    // Known failing now: no call until the retry interval has passed.
    client.answer = { ok: false };
    advance(RETRY - 1);
    for (let i = 0; i < 50; i++) assert.deepEqual(await source.getActiveSecrets('s'), ['v1']);
    assert.equal(client.calls, 2);
    advance(1);
    assert.deepEqual(await source.getActiveSecrets('s'), ['v1']);
    assert.equal(client.calls, 3, 'one background attempt per retry interval');
    await settle();
    for (let i = 0; i < 50; i++) await source.getActiveSecrets('s');
    assert.equal(client.calls, 3);
  });

  it('bounded staleness: past the maximum since the last successful read, no value is served', async () => {
    const { client, source, advance } = setup();
    await source.getActiveSecrets('s');
    client.answer = { ok: false };
    // One attempt per retry interval for the whole hour: requests keep being served the last values.
    let served = 0;
    for (let elapsed = TTL; elapsed <= MAX_STALE; elapsed += RETRY / 2) {
      advance(elapsed === TTL ? TTL : RETRY / 2);
      assert.deepEqual(await source.getActiveSecrets('s'), ['v1']);
      await settle();
      served++;
    }
    const attempts = client.calls - 1;
    assert.ok(attempts <= Math.ceil((MAX_STALE - TTL) / RETRY) + 1, `${attempts} attempts`);
    advance(MAX_STALE); // well past the bound
    await assert.rejects(source.getActiveSecrets('s'), SecretUnavailableError);
    assert.ok(served > 0);
    // Recovery: the next attempt (once the interval allows) brings values back.
    client.answer = { ok: true, value: '{"secrets":["v3"]}' };
    advance(RETRY);
    assert.deepEqual(await source.getActiveSecrets('s'), ['v3']);
  });

  it('a cold read during an outage fails fast after the first failure, and attempts stay spaced', async () => {
    const { client, source, advance } = setup();
    client.answer = { ok: false };
    await assert.rejects(source.getActiveSecrets('s'), SecretUnavailableError);
    assert.equal(client.calls, 1);
    for (let i = 0; i < 20; i++) {
      await assert.rejects(source.getActiveSecrets('s'), SecretUnavailableError);
    }
    assert.equal(client.calls, 1, 'no call while the retry interval runs');
    advance(RETRY);
    client.answer = { hang: true };
    await assert.rejects(source.getActiveSecrets('s'), SecretUnavailableError); // waited refreshWaitMs only
    await assert.rejects(source.getActiveSecrets('s'), SecretUnavailableError); // did not wait at all
    assert.equal(client.calls, 2);
    client.timeOut();
    await settle();
  });

  it('clear() during an outage (a CDP 401 storm) still makes at most one attempt per retry interval', async () => {
    const { client, source, advance } = setup();
    await source.getActiveSecrets('s');
    client.answer = { ok: false };
    advance(TTL);
    await source.getActiveSecrets('s');
    await settle();
    const calls = client.calls;
    for (let i = 0; i < 20; i++) {
      source.clear();
      await assert.rejects(source.getActiveSecrets('s'), SecretUnavailableError);
    }
    assert.equal(client.calls, calls);
    client.answer = { ok: true, value: '{"apiKey":"rotated"}' };
    advance(RETRY);
    source.clear();
    assert.deepEqual(await source.getActiveSecrets('s'), ['rotated']);
  });

  it('clear() forgets values; a read in flight then cannot bring the old ones back', async () => {
    const { client, source } = setup();
    await source.getActiveSecrets('s');
    source.clear();
    client.answer = { ok: true, value: '{"apiKey":"rotated"}' };
    assert.deepEqual(await source.getActiveSecrets('s'), ['rotated']);
    assert.equal(client.calls, 2);
  });
});
