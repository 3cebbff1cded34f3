/**
 * `webhooks send` against local mode, as the smoke test after a deploy: the real ingest behind the local
 * HTTP gateway, the real processor behind the SQS poller, the secrets in the Secrets Manager stand-in. Local
 * mode has no CloudFormation, so the target is the explicit set (--url, --secret-id, --table) that a stack's
 * outputs otherwise provide; resolving it from a stack is covered by the template test in test/infra.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LOCAL_SECRET_IDS } from '../../../local/local-secrets';
import { type LocalPipeline, startLocalPipeline } from '../../../local/pipeline';
import { useEmulators } from '../../support/emulators';
import { cli } from './harness';

describe('webhooks send against local mode', () => {
  useEmulators();
  let pipeline: LocalPipeline;
  let secretsPath: string;

  before(async () => {
    secretsPath = join(tmpdir(), `send-cli-secrets-${randomUUID()}.json`);
    pipeline = await startLocalPipeline({
      port: 0,
      cdpPort: 0,
      secretsPath,
      emulators: {
        fauxqsEndpoint: process.env.AWS_ENDPOINT_URL_SQS ?? '',
        dynamodbEndpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '',
        secretsManagerEndpoint: '',
        stop: async () => {},
      },
      queue: { maxBatchingWindowSeconds: 0 },
      pollWaitSeconds: 1,
      quiet: true,
      log: () => {},
    });
  });

  after(async () => {
    await pipeline?.stop();
    rmSync(secretsPath, { force: true });
  });

  const target = (sourceId: string, secretOf = sourceId) => [
    '--url',
    pipeline.sourceUrls[sourceId] ?? '',
    '--secret-id',
    LOCAL_SECRET_IDS.source(secretOf),
    '--table',
    pipeline.resources.tableName,
  ];

  it('signs a sample with the secret from Secrets Manager, posts it, and waits for its COMPLETED record', async () => {
    const result = await cli(['send', 'stripe', ...target('stripe'), '--json']);
    assert.equal(result.code, 0, result.stderr);
    const sent = JSON.parse(result.stdout);
    assert.equal(sent.ok, true);
    assert.ok(sent.status >= 200 && sent.status < 300, `${sent.status} ${sent.response}`);
    assert.equal(sent.records.length, 1);
    assert.equal(sent.records[0].found, true);
    assert.equal(sent.records[0].record.status, 'COMPLETED');
    assert.match(sent.records[0].dedupeKey, /^stripe:evt_/);

    const human = await cli(['send', 'github', ...target('github')]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(
      human.stdout,
      /^POST http:\/\/\S+\/webhooks\/github \(github, github sample \S+\)\n→ 2\d\d /,
    );
    assert.match(human.stdout, /State: +COMPLETED/);
  });

  it('a delivery signed with the wrong secret is refused by the pipeline, and send exits non-zero', async () => {
    const result = await cli(['send', 'stripe', ...target('stripe', 'shopify')]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /→ 401 /);
    assert.match(result.stderr, /did not accept the sample \(HTTP 401\)/);
  });

  it('explains what it cannot do: public-key providers, unknown secrets, a stack mixed with an explicit target', async () => {
    const sendgrid = await cli(['send', 'sendgrid', ...target('sendgrid')]);
    assert.equal(sendgrid.code, 1);
    assert.match(sendgrid.stderr, /verifies with the provider's public key/);

    const missing = await cli(['send', 'stripe', ...target('stripe', 'no-such-source')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: Secret webhook-pipeline\/local\/sources\/no-such-source not found/);
    assert.match(missing.stderr, /\nhint: /);

    const mixed = await cli(['send', 'stripe', '--stack', 'WebhookPipeline', ...target('stripe')]);
    assert.equal(mixed.code, 1);
    assert.match(mixed.stderr, /--stack WebhookPipeline and --url, --secret-id both name the target/);

    const viaEnv = await cli(['send', 'stripe', ...target('stripe')], {
      env: { WEBHOOKS_STACK: 'WebhookPipeline' },
    });
    assert.equal(viaEnv.code, 1);
    assert.match(viaEnv.stderr, /WEBHOOKS_STACK WebhookPipeline and --url, --secret-id both name the target/);

    const noProvider = await cli(['send', 'shop-eu', '--url', 'http://localhost:1/x', '--secret-id', 's']);
    assert.equal(noProvider.code, 1);
    assert.match(noProvider.stderr, /not a provider name: pass --provider/);
  });
});
