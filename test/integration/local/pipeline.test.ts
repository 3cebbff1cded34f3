import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../../lambdas/shared/aws-clients';
import { requireEnv } from '../../../lambdas/shared/env';
import type { Emulators } from '../../../local/emulators';
import { readLocalSecrets } from '../../../local/local-secrets';
import { type LocalPipeline, startLocalPipeline } from '../../../local/pipeline';
import { sendSampleEvents } from '../../../local/send-webhooks';
import { useEmulators } from '../../support/emulators';

async function profileArrives(pipeline: LocalPipeline, email: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (pipeline.cdp.record('profiles', email)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no profile for ${email}`);
}

describe('startLocalPipeline on shared emulators, stopped and started again in one process', () => {
  useEmulators();
  const secretsPath = join(tmpdir(), `pipeline-secrets-${randomUUID()}.json`);
  after(() => rmSync(secretsPath, { force: true }));

  it('runs on emulators it does not own, leaves them running, and restarts on the same URLs', async () => {
    const shared: Emulators = {
      fauxqsEndpoint: requireEnv('AWS_ENDPOINT_URL_SQS'),
      dynamodbEndpoint: requireEnv('AWS_ENDPOINT_URL_DYNAMODB'),
      secretsManagerEndpoint: requireEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER'),
      stop: async () => {},
    };
    const options = {
      port: 0,
      cdpPort: 0,
      secretsPath,
      emulators: shared,
      pollWaitSeconds: 1,
      quiet: true,
      log: () => {},
    };
    const first = await startLocalPipeline(options);
    await assert.rejects(startLocalPipeline(options), /already running/);
    const send = (pipeline: LocalPipeline) =>
      sendSampleEvents({ target: 'stripe', baseUrl: pipeline.url, secrets: readLocalSecrets(secretsPath) });
    assert.equal((await send(first))[0]?.status, 202);
    await profileArrives(first, 'ada.lovelace@example.com');
    await first.stop();
    await first.stop();

    // The shared emulators keep serving after the pipeline stopped.
    await createSqsClient().send(new ListQueuesCommand({}));

    const second = await startLocalPipeline(options);
    try {
      assert.equal(second.url, first.url);
      assert.equal(second.cdp.url, first.cdp.url);
      assert.equal(second.cdp.records('profiles').length, 0, 'a restart starts with an empty CDP stand-in');
      assert.equal((await send(second))[0]?.status, 202);
      await profileArrives(second, 'ada.lovelace@example.com');
    } finally {
      await second.stop();
    }
  });
});
