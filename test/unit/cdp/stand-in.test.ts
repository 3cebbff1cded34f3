import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type CdpStandIn, startCdpStandIn } from '../../../local/cdp-stand-in';

describe('CDP stand-in', () => {
  let standIn: CdpStandIn;
  before(async () => {
    standIn = await startCdpStandIn({ apiKey: 'k', random: () => 0 });
  });
  after(async () => {
    await standIn.stop();
  });
  beforeEach(() => standIn.reset());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${standIn.url}${path}`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('checks the Bearer key (401) and validates bodies (422 with the schema error code)', async () => {
    assert.equal((await post('/records/profiles/upsert', {}, { authorization: 'Bearer nope' })).status, 401);
    const missingRecord = await post('/records/events/append', {});
    assert.equal(missingRecord.status, 422);
    assert.equal(
      ((await missingRecord.json()) as { error: { code: string } }).error.code,
      'CDP_ETL.VALIDATION.REQUEST_SCHEMA',
    );
    assert.equal((await post('/records/profiles/upsert', { record: { email: 'a@b.c' } })).status, 422);
    assert.equal((await post('/records/profiles/upsert', { record: {}, matchKey: 'email' })).status, 422);
    assert.equal(standIn.effectCount(), 0);
  });

  it('replays a repeated Idempotency-Key without a second effect', async () => {
    const first = await post('/records/events/append', { record: { n: 1 } }, { 'idempotency-key': 'i1' });
    const second = await post('/records/events/append', { record: { n: 1 } }, { 'idempotency-key': 'i1' });
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(await second.json(), await first.json());
    assert.equal(standIn.effects().get('i1'), 1);
    assert.equal(standIn.records('events').length, 1);
  });

  it('injects random faults by rate, an outage, and scripted faults, all drivable over the admin API', async () => {
    await fetch(`${standIn.url}/_admin/faults`, {
      method: 'POST',
      body: JSON.stringify({ status429Rate: 1, retryAfterSeconds: 9 }),
    });
    const throttled = await post('/records/events/append', { record: {} });
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get('retry-after'), '9');
    standIn.setFaults({ outage: true });
    assert.equal((await post('/records/events/append', { record: {} })).status, 503);
    standIn.setFaults({});
    await fetch(`${standIn.url}/_admin/faults/queue`, {
      method: 'POST',
      body: JSON.stringify({ faults: [{ status: 502 }] }),
    });
    assert.equal((await post('/records/events/append', { record: {} })).status, 502);
    assert.equal((await post('/records/events/append', { record: { ok: true } })).status, 201);
    const admin = (await (await fetch(`${standIn.url}/_admin/records/events`)).json()) as {
      records: unknown[];
    };
    assert.deepEqual(admin.records, [{ ok: true }]);
    const requests = (await (await fetch(`${standIn.url}/_admin/requests`)).json()) as {
      requests: { fault?: string }[];
    };
    assert.deepEqual(
      requests.requests.map((r) => r.fault),
      ['429', 'outage', '502', undefined],
    );
    await fetch(`${standIn.url}/_admin/reset`, { method: 'POST' });
    assert.equal(standIn.requests.length, 0);
  });

  it('refuses a used key with a different body (422, nothing applied) and forgets keys after its retention', async () => {
    let clock = 1_000_000;
    const strict = await startCdpStandIn({ apiKey: 'k', now: () => clock, idempotencyRetentionMs: 1000 });
    try {
      const send = (body: unknown) =>
        fetch(`${strict.url}/records/events/append`, {
          method: 'POST',
          headers: { authorization: 'Bearer k', 'idempotency-key': 'same' },
          body: JSON.stringify(body),
        });
      assert.equal((await send({ record: { n: 1 } })).status, 201);
      const reused = await send({ record: { n: 2 } });
      assert.equal(reused.status, 422);
      assert.equal(
        ((await reused.json()) as { error: { code: string } }).error.code,
        'IDEMPOTENCY_KEY_REUSED',
      );
      assert.equal(strict.requests.at(-1)?.keyReusedWithDifferentPayload, true);
      assert.equal((await send({ record: { n: 1 } })).headers.get('idempotent-replayed'), 'true');
      assert.equal(strict.records('events').length, 1);
      clock += 1000;
      assert.equal((await send({ record: { n: 1 } })).status, 201, 'forgotten after the retention');
      assert.equal(strict.effects().get('same'), 2);
    } finally {
      await strict.stop();
    }
  });
});
