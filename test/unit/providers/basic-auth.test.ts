import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { basicAuth, matchesAnySecret } from '../../../lambdas/providers/basic-auth';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

const SECRET = 'postmark:s3cr3t-pa55word-long';
const basic = (credentials: string) => `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
const POSTMARK = JSON.stringify({
  RecordType: 'Delivery',
  MessageID: '883953f4-6105-42a2-a16a-77a8eac79483',
  DeliveredAt: '2023-11-14T22:13:20Z',
});
const request = (authorization: string | string[] | undefined, body = POSTMARK) =>
  rawRequest({ body, headers: authorization === undefined ? {} : { Authorization: authorization } });
const verify = (req: ReturnType<typeof request>, secrets = [SECRET]) =>
  verifyWith(basicAuth, req, { secrets, nowMs: 0 });

describe('basic-auth', () => {
  it('accepts the configured user:password, any active secret, case-insensitive scheme', () => {
    assert.deepEqual(verify(request(basic(SECRET))), { ok: true });
    assert.deepEqual(verify(request(basic(SECRET)), ['postmark:old-password-value', SECRET]), { ok: true });
    assert.deepEqual(verify(request(basic(SECRET).replace('Basic', 'basic'))), { ok: true });
  });

  it('rejects wrong credentials without echoing them', () => {
    assertRejected(verify(request(basic('postmark:wrong'))), 'unauthorized', [SECRET, 's3cr3t']);
    assertRejected(verify(request(basic('other:s3cr3t-pa55word-long'))), 'unauthorized');
    assertRejected(verify(request(basic(`${SECRET} `))), 'unauthorized');
  });

  it('rejects missing, duplicated and malformed headers', () => {
    assertRejected(verify(request(undefined)), 'missing_header');
    assertRejected(verify(request([basic(SECRET), basic('a:b')])), 'duplicate_header');
    assertRejected(verify(request(`Bearer ${SECRET}`)), 'malformed_header');
    assertRejected(verify(request('Basic !!!')), 'malformed_header');
    assertRejected(verify(request(basic('no-colon'))), 'malformed_header');
    assertRejected(
      verify(request(`Basic ${Buffer.from([0xff, 0x3a]).toString('base64')}`)),
      'malformed_header',
    );
    assertRejected(verify(request(basic(SECRET)), []), 'no_active_secret');
  });

  it('compares digests, so different lengths are simply unequal', () => {
    assert.equal(matchesAnySecret('a', ['a-much-longer-secret']), false);
    assert.equal(matchesAnySecret('same', ['x', 'same']), true);
  });

  it('extracts with configured paths: Postmark JSON, Mailchimp Marketing form, arrays', () => {
    const postmark = basicAuth.extract(request(undefined), {
      idPaths: ['MessageID', 'RecordType'],
      typePath: 'RecordType',
      occurredAtPath: 'DeliveredAt',
    });
    assert.ok(postmark.ok);
    assert.deepEqual(
      postmark.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [['883953f4-6105-42a2-a16a-77a8eac79483:Delivery', 'Delivery', '2023-11-14T22:13:20.000Z']],
    );
    const form =
      'type=subscribe&fired_at=2009-03-26+21%3A35%3A57&data%5Bid%5D=8a25ff1d98&data%5Bemail%5D=api%40mailchimp.com';
    const mailchimp = basicAuth.extract(request(undefined, form), {
      idPaths: ['data[id]', 'type', 'fired_at'],
      typePath: 'type',
      occurredAtPath: 'fired_at',
    });
    assert.ok(mailchimp.ok);
    assert.equal(mailchimp.events[0]?.providerEventId, '8a25ff1d98:subscribe:2009-03-26 21:35:57');
    assert.equal(mailchimp.events[0]?.eventType, 'subscribe');
    const batch = basicAuth.extract(request(undefined, '[{"id":"a","k":{"t":"x"}},{"k":{"t":"y"}}]'), {
      idPaths: ['id'],
      typePath: 'k.t',
    });
    assert.ok(batch.ok);
    assert.deepEqual(
      batch.events.map((e) => [e.providerEventId, e.eventType]),
      [
        ['a', 'x'],
        [undefined, 'y'],
      ],
    );
  });

  it('validates extraction options', () => {
    assert.deepEqual(basicAuth.validateOptions?.({ idPaths: ['a'], typePath: 'b' }), []);
    assert.equal(basicAuth.validateOptions?.({ idPaths: 'a', typePath: 3 }).length, 2);
  });
});
