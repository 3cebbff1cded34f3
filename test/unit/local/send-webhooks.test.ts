import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../../local/emulators';
import { readLocalSecrets, SECRETS_EXAMPLE_PATH } from '../../../local/local-secrets';
import { SendUsageError, sendSampleEvents } from '../../../local/send-webhooks';

describe('sendSampleEvents', () => {
  const received: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"received":1}');
    });
  });
  let baseUrl = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('posts distinct events, each duplicate with the same body and event id, to the source URL', async () => {
    const sent = await sendSampleEvents({
      target: 'standard-webhooks',
      baseUrl,
      count: 2,
      duplicate: true,
      secrets: readLocalSecrets(SECRETS_EXAMPLE_PATH),
    });
    assert.deepEqual(
      sent.map((s) => [s.sourceId, s.event, s.status, s.duplicate]),
      [
        ['svix', 'invoice.paid', 202, false],
        ['svix', 'invoice.paid', 202, true],
        ['svix', 'invoice.paid', 202, false],
        ['svix', 'invoice.paid', 202, true],
      ],
    );
    assert.ok(received.every((r) => r.url === '/webhooks/svix'));
    const [a, aAgain, b] = received;
    assert.equal(aAgain?.body, a?.body);
    assert.equal(aAgain?.headers['webhook-id'], a?.headers['webhook-id']);
    assert.notEqual(b?.headers['webhook-id'], a?.headers['webhook-id']);
    assert.notEqual(b?.body, a?.body);
    assert.match(String(a?.headers['webhook-signature']), /^v1,/);
  });

  it('explains what is missing', async () => {
    await assert.rejects(
      sendSampleEvents({
        target: 'stripe',
        event: 'nope',
        baseUrl,
        secrets: readLocalSecrets(SECRETS_EXAMPLE_PATH),
      }),
      (e: Error) => e instanceof SendUsageError && /Available: /.test(e.message),
    );
    await assert.rejects(
      sendSampleEvents({
        target: 'stripe',
        baseUrl: `http://127.0.0.1:${await freePort()}`,
        secrets: readLocalSecrets(SECRETS_EXAMPLE_PATH),
      }),
      (e: Error) => e instanceof SendUsageError && /Start local mode first/.test(e.message),
    );
  });
});
