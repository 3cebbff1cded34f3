/**
 * Issue 13, breaches 3 and 6, through the real ingest handler, the real SDK, fauxqs and the Secrets
 * Manager stand-in: an empty secret never verifies anything (503 source_misconfigured, nothing queued),
 * and a Secrets Manager outage is served from memory, refreshed at a bounded rate, and refused (503
 * secret_unavailable) once the last values are older than the maximum staleness. One source's bad CIDR
 * takes only that source out. Time is simulated for the cache; what is measured is calls, never wall time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createIngestHandler, depsFromEnv, type IngestHandlerDeps } from '../../../lambdas/ingest/handler';
import {
  createSecretsManagerClient,
  createSqsClient,
  SECRETS_MANAGER_TIMEOUTS,
} from '../../../lambdas/shared/aws-clients';
import { createS3Client } from '../../../lambdas/shared/s3-client';
import { ENV } from '../../../lambdas/shared/schema';
import { CachedSecretsManagerSource, DEFAULT_SECRET_CACHE_POLICY } from '../../../lambdas/shared/secrets';
import type { SourceConfig } from '../../../lambdas/shared/source-config';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../../local/secrets-manager-server';
import { generateLocalSecret, signDiscord, signSendgrid, signStripe } from '../../../local/signers';
import { uniqueName, useEmulators } from '../../support/emulators';
import { httpV2Event, type RequestParts } from '../../unit/ingest/http-events';
import { createResources, drain, type Resources, stripeBody } from './harness';

/** Creates a secret holding exactly `secretString` in the shared stand-in, through the real SDK. */
async function createSecret(secretString: string): Promise<string> {
  const secretId = uniqueName('empty-form');
  await createSecretsManagerClient().send(
    new CreateSecretCommand({ Name: secretId, SecretString: secretString }),
  );
  return secretId;
}

function stripeParts(path: string, body: Buffer, signingKey: string): RequestParts {
  return { path, body, headers: signStripe({ body, url: '', signingKey }).headers };
}

describe('ingest secrets: empty secrets, bad source settings and a Secrets Manager outage', () => {
  useEmulators();

  let sqs: SQSClient;
  let resources: Resources;
  let env: NodeJS.ProcessEnv;
  const sources: SourceConfig[] = [];
  const STRIPE_KEY = generateLocalSecret('stripe').secret;
  const EMPTY_FORMS = [
    '{"secret":""}',
    '{"secret":"   "}',
    '{"apiKey":""}',
    '{"secrets":["", " "]}',
    '{"secrets":[]}',
    ' ',
    '\n\t',
  ];
  const sendgridKeys = generateLocalSecret('sendgrid');
  const discordKeys = generateLocalSecret('discord');

  before(async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    sqs = createSqsClient();
    resources = await createResources(sqs, createS3Client());
    for (const [index, form] of EMPTY_FORMS.entries()) {
      sources.push({ id: `empty-${index}`, provider: 'stripe', secretId: await createSecret(form) });
    }
    sources.push({
      id: 'empty-sendgrid',
      provider: 'sendgrid',
      secretId: await createSecret('{"secret":""}'),
    });
    sources.push({
      id: 'empty-discord',
      provider: 'discord',
      secretId: await createSecret('{"secrets":[" "]}'),
    });
    const realSecret = await createSecret(JSON.stringify({ secrets: [STRIPE_KEY] }));
    sources.push({ id: 'stripe', provider: 'stripe', secretId: realSecret });
    sources.push({
      id: 'bad-cidr',
      provider: 'stripe',
      secretId: realSecret,
      // Both accepted by the old synth-time check and refused by the runtime parser.
      allowedCidrs: ['2001:db8:1:2:3:4:5:6:7/64', ':/64'],
    });
    env = {
      ...process.env,
      [ENV.sources]: JSON.stringify(sources),
      [ENV.queueUrl]: resources.queueUrl,
      [ENV.dlqUrl]: resources.dlqUrl,
      [ENV.claimCheckBucket]: resources.bucket,
    };
  });

  const send = async (deps: IngestHandlerDeps, parts: RequestParts) => {
    const response = await createIngestHandler(deps)(httpV2Event(parts));
    return { status: response.statusCode, body: JSON.parse(response.body) as { error?: string } };
  };

  it('a request signed with the empty key gets 503 source_misconfigured for every empty form, and nothing is queued', async () => {
    for (const [index, form] of EMPTY_FORMS.entries()) {
      const body = stripeBody(`evt_empty_${index}`, 200);
      for (const key of ['', ' ']) {
        const answer = await send(depsFromEnv(env), stripeParts(`/webhooks/empty-${index}`, body, key));
        assert.equal(answer.status, 503, `${JSON.stringify(form)} with key ${JSON.stringify(key)}`);
        assert.equal(answer.body.error, 'source_misconfigured');
      }
    }
    assert.equal((await drain(sqs, resources.queueUrl)).length, 0);
  });

  it('public-key schemes too: an empty public key verifies nothing (SendGrid, Discord)', async () => {
    const body = Buffer.from('[{"email":"a@example.com","event":"delivered","sg_event_id":"e1"}]');
    const sendgrid = signSendgrid({ body, url: '', signingKey: sendgridKeys.signingKey ?? '' });
    const discordBody = Buffer.from('{"type":1,"id":"i1"}');
    const discord = signDiscord({ body: discordBody, url: '', signingKey: discordKeys.signingKey ?? '' });
    const answers = [
      await send(depsFromEnv(env), { path: '/webhooks/empty-sendgrid', body, headers: sendgrid.headers }),
      await send(depsFromEnv(env), {
        path: '/webhooks/empty-discord',
        body: discordBody,
        headers: discord.headers,
      }),
    ];
    for (const answer of answers) {
      assert.equal(answer.status, 503);
      assert.equal(answer.body.error, 'source_misconfigured');
    }
    assert.equal((await drain(sqs, resources.queueUrl)).length, 0);
  });

  it("one source's bad CIDR answers 503 source_misconfigured; another source still gets 202", async () => {
    const body = stripeBody('evt_cidr_ok', 200);
    const bad = await send(depsFromEnv(env), stripeParts('/webhooks/bad-cidr', body, STRIPE_KEY));
    assert.equal(bad.status, 503);
    assert.equal(bad.body.error, 'source_misconfigured');
    const good = await send(depsFromEnv(env), stripeParts('/webhooks/stripe', body, STRIPE_KEY));
    assert.equal(good.status, 202, JSON.stringify(good.body));
    assert.equal((await drain(sqs, resources.queueUrl, 1)).length, 1);
  });

  describe('Secrets Manager outage (a stand-in of our own, so its faults touch no other test)', () => {
    const TTL = DEFAULT_SECRET_CACHE_POLICY.ttlMs;
    const RETRY = DEFAULT_SECRET_CACHE_POLICY.retryIntervalMs;
    const MAX_STALE = DEFAULT_SECRET_CACHE_POLICY.maxStalenessMs;
    const SECRET_ID = 'outage-stripe';
    let standIn: LocalSecretsManager;
    let client: SecretsManagerClient;
    let clock: number;

    before(async () => {
      standIn = await startLocalSecretsManager({ [SECRET_ID]: JSON.stringify({ secrets: [STRIPE_KEY] }) });
      // The production retry budget, pointed at this stand-in. The request timeout is long on purpose: a
      // hung call must stay hung for as long as the test looks (on a busy machine the production 1 s
      // could end it mid-test); what is asserted is that no request waits for it, whatever its timeout.
      client = new SecretsManagerClient({
        endpoint: standIn.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: SECRETS_MANAGER_TIMEOUTS.maxAttempts,
        requestHandler: new NodeHttpHandler({
          connectionTimeout: SECRETS_MANAGER_TIMEOUTS.connectionTimeoutMs,
          requestTimeout: 60_000,
        }),
      });
    });
    after(async () => {
      await standIn.stop();
    });

    /** The handler of one container: a fresh cache on the simulated clock, with the production policy. */
    function container() {
      clock = Date.parse('2026-06-01T12:00:00Z');
      // refreshWaitMs is wall time: generous here so a healthy refresh on a busy machine is still waited for.
      const secrets = new CachedSecretsManagerSource(client, { now: () => clock, refreshWaitMs: 500 });
      const stripe: SourceConfig = { id: 'stripe', provider: 'stripe', secretId: SECRET_ID };
      const deps = { ...depsFromEnv(env), sources: new Map([['stripe', stripe]]), secrets };
      const handler = createIngestHandler(deps);
      let n = 0;
      return async () => {
        n++;
        const body = stripeBody(`evt_outage_${clock}_${n}`, 200);
        const response = await handler(httpV2Event(stripeParts('/webhooks/stripe', body, STRIPE_KEY)));
        return {
          status: response.statusCode,
          error: (JSON.parse(response.body) as { error?: string }).error,
        };
      };
    }

    /**
     * After an outage: the first request starts the read and waits for it only briefly (wall time), so on
     * a busy machine it may still be 503; the read then lands in the background and the next one is 202.
     */
    async function recovered(request: () => Promise<{ status: number }>): Promise<number> {
      let status = 0;
      for (let i = 0; i < 20 && status !== 202; i++) {
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await request()).status;
      }
      return status;
    }

    /** Waits (wall time, never asserted) until the stand-in has no held call and `calls` is reached. */
    async function settled(calls: number): Promise<void> {
      for (let i = 0; i < 200 && (standIn.getSecretValueCalls < calls || standIn.heldCalls > 0); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // Takes about 2 s; the timeout only keeps the old behaviour (each request waiting on the hung call)
    // from holding the suite for minutes.
    it('after the TTL: requests are answered from memory without waiting on the hung refresh, attempts are rate-bounded, and past the maximum staleness 503', {
      timeout: 60_000,
    }, async () => {
      standIn.setFault('none');
      const request = container();
      const start = standIn.getSecretValueCalls;
      assert.equal((await request()).status, 202);
      assert.equal(standIn.getSecretValueCalls - start, 1);

      // Outage: the endpoint accepts requests and never answers.
      standIn.setFault('hang');
      clock += TTL;
      for (let i = 0; i < 20; i++) assert.equal((await request()).status, 202);
      assert.equal(standIn.getSecretValueCalls - start, 2, 'one refresh for 20 requests');
      assert.equal(standIn.heldCalls, 1, 'all 20 were answered while the refresh was still unanswered');

      // The endpoint now fails fast; the hung refresh fails (each SDK attempt counts as a call).
      standIn.setFault('error');
      await settled(start + 1 + SECRETS_MANAGER_TIMEOUTS.maxAttempts);
      const afterFirstAttempt = standIn.getSecretValueCalls;
      assert.ok(afterFirstAttempt - start <= 1 + SECRETS_MANAGER_TIMEOUTS.maxAttempts);

      // Known failing: no call at all until the retry interval has passed, whatever the traffic.
      clock += RETRY - 1;
      for (let i = 0; i < 20; i++) assert.equal((await request()).status, 202);
      assert.equal(standIn.getSecretValueCalls, afterFirstAttempt);

      // Then one background attempt per interval, not one per request.
      clock += 1;
      for (let i = 0; i < 20; i++) assert.equal((await request()).status, 202);
      await settled(afterFirstAttempt + SECRETS_MANAGER_TIMEOUTS.maxAttempts);
      const afterSecondAttempt = standIn.getSecretValueCalls;
      assert.ok(afterSecondAttempt - afterFirstAttempt <= SECRETS_MANAGER_TIMEOUTS.maxAttempts);
      assert.ok(afterSecondAttempt > afterFirstAttempt);

      // An hour after the last successful read, the old values are no longer accepted.
      clock += MAX_STALE;
      const drainedBefore = await drain(sqs, resources.queueUrl, 61);
      assert.equal(drainedBefore.length, 61, 'every answered 202 was really queued');
      const refused = await request();
      assert.equal(refused.status, 503);
      assert.equal(refused.error, 'secret_unavailable');
      assert.equal((await drain(sqs, resources.queueUrl)).length, 0);

      // Recovery: once the interval allows a new read, the source works again.
      standIn.setFault('none');
      clock += RETRY;
      assert.equal(await recovered(request), 202);
      assert.equal((await drain(sqs, resources.queueUrl, 1)).length, 1);
    });

    it('a cold container during an outage: 503 secret_unavailable, and further requests do not call again within the interval', async () => {
      standIn.setFault('error');
      const request = container();
      const start = standIn.getSecretValueCalls;
      const first = await request();
      assert.equal(first.status, 503);
      assert.equal(first.error, 'secret_unavailable');
      const afterFirst = standIn.getSecretValueCalls;
      assert.ok(afterFirst - start <= SECRETS_MANAGER_TIMEOUTS.maxAttempts);
      for (let i = 0; i < 10; i++) assert.equal((await request()).status, 503);
      assert.equal(standIn.getSecretValueCalls, afterFirst, 'no call while the retry interval runs');
      standIn.setFault('none');
      clock += RETRY;
      assert.equal(await recovered(request), 202);
      assert.equal((await drain(sqs, resources.queueUrl, 1)).length, 1);
    });
  });
});
