import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsQueue } from '../../../lambdas/ingest/aws-ports';
import { createIngestHandler, depsFromEnv, type IngestHandlerDeps } from '../../../lambdas/ingest/handler';
import { S3ClaimCheckStore } from '../../../lambdas/ingest/s3-claim-check';
import { createSqsClient, INGEST_TIMEOUTS } from '../../../lambdas/shared/aws-clients';
import { createS3Client } from '../../../lambdas/shared/s3-client';
import { ENV, QUEUE_DEFAULTS } from '../../../lambdas/shared/schema';
import { CachedSecretsManagerSource } from '../../../lambdas/shared/secrets';
import { freePort } from '../../../local/emulators';
import { useEmulators } from '../../support/emulators';
import { EVENT_SHAPES, httpV2Event } from '../../unit/ingest/http-events';
import {
  createResources,
  createSource,
  drain,
  hubspotBatch,
  hubspotRequest,
  type Resources,
  stripeBody,
  stripeRequest,
  type TestSource,
} from './harness';

/** An endpoint nothing listens on: every connection is refused. */
async function closedEndpoint(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

const clientConfig = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  maxAttempts: INGEST_TIMEOUTS.maxAttempts,
});

describe('ingest faults: an unreachable dependency is a 503, never a 2xx', () => {
  useEmulators();

  let resources: Resources;
  let stripe: TestSource;
  let hubspot: TestSource;
  let baseDeps: () => IngestHandlerDeps;
  const sqs = () => createSqsClient();

  before(async () => {
    // Powertools reads these from the process environment; the expected errors need not flood the output.
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    resources = await createResources(createSqsClient(), createS3Client());
    stripe = await createSource('stripe', 'stripe');
    hubspot = await createSource('hubspot', 'hubspot', {
      publicUrl: 'https://hooks.example.com/webhooks/hubspot',
    });
    const env = {
      ...process.env,
      [ENV.sources]: JSON.stringify([stripe.config, hubspot.config]),
      [ENV.queueUrl]: resources.queueUrl,
      [ENV.dlqUrl]: resources.dlqUrl,
      [ENV.claimCheckBucket]: resources.bucket,
    };
    baseDeps = () => depsFromEnv(env);
  });

  it('SQS unreachable: 503 enqueue_failed for every event shape, and the queue stays empty', async () => {
    const deadSqs = new SQSClient(clientConfig(await closedEndpoint()));
    const handler = createIngestHandler({ ...baseDeps(), queue: new SqsQueue(deadSqs, resources.queueUrl) });
    for (const shape of EVENT_SHAPES) {
      const path = '/webhooks/stripe';
      const body = stripeBody(`evt_down_${shape.name.length}`, 300);
      const response = await handler(shape.build(stripeRequest(stripe, path, body, shape.urlFor(path))));
      assert.equal(response.statusCode, 503, `${shape.name}: ${response.body}`);
      assert.equal(JSON.parse(response.body).error, 'enqueue_failed');
    }
    const batch = await handler(
      httpV2Event(
        hubspotRequest(
          hubspot,
          '/webhooks/hubspot',
          hubspotBatch(25),
          'https://hooks.example.com/webhooks/hubspot',
        ),
      ),
    );
    assert.equal(batch.statusCode, 503);
    assert.equal((await drain(sqs(), resources.queueUrl)).length, 0);
  });

  it('the DLQ unreachable for an unusable payload: 503 dead_letter_failed', async () => {
    const deadSqs = new SQSClient(clientConfig(await closedEndpoint()));
    const handler = createIngestHandler({
      ...baseDeps(),
      deadLetterQueue: new SqsQueue(deadSqs, resources.dlqUrl),
    });
    const response = await handler(
      httpV2Event(stripeRequest(stripe, '/webhooks/stripe', Buffer.from('[1,'), '')),
    );
    assert.equal(response.statusCode, 503);
    assert.equal(JSON.parse(response.body).error, 'dead_letter_failed');
  });

  it('S3 unreachable for a claim-checked body: 503, nothing queued', async () => {
    const deadS3 = new S3Client({ ...clientConfig(await closedEndpoint()), forcePathStyle: true });
    const handler = createIngestHandler({
      ...baseDeps(),
      claimCheck: new S3ClaimCheckStore(deadS3, resources.bucket),
    });
    const body = stripeBody('evt_big_s3_down', QUEUE_DEFAULTS.claimCheckThresholdBytes + 1);
    const response = await handler(httpV2Event(stripeRequest(stripe, '/webhooks/stripe', body, '')));
    assert.equal(response.statusCode, 503);
    assert.equal((await drain(sqs(), resources.queueUrl)).length, 0);
  });

  it('Secrets Manager unreachable: 503 secret_unavailable', async () => {
    const deadSecrets = new SecretsManagerClient(clientConfig(await closedEndpoint()));
    const handler = createIngestHandler({
      ...baseDeps(),
      secrets: new CachedSecretsManagerSource(deadSecrets),
    });
    const response = await handler(
      httpV2Event(stripeRequest(stripe, '/webhooks/stripe', stripeBody('evt_sm', 200), '')),
    );
    assert.equal(response.statusCode, 503);
    assert.equal(JSON.parse(response.body).error, 'secret_unavailable');
  });

  it('with the dependencies back, the same delivery is accepted (the provider retry succeeds)', async () => {
    const handler = createIngestHandler(baseDeps());
    const response = await handler(
      httpV2Event(stripeRequest(stripe, '/webhooks/stripe', stripeBody('evt_back', 200), '')),
    );
    assert.equal(response.statusCode, 202, response.body);
    assert.equal((await drain(sqs(), resources.queueUrl, 1)).length, 1);
  });
});
