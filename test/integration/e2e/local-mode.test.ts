/**
 * Drives local mode from outside, as a user would: start it (random ports), POST signed deliveries over
 * plain HTTP, and look at the CDP stand-in's admin API and the DLQ.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../../lambdas/shared/aws-clients';
import { pipelineConfig } from '../../../lib/pipeline-config';
import { cliEnvBlock } from '../../../local/cli-env';
import { loadFixture, renderFixture } from '../../../local/fixtures';
import { readLocalSecrets, signingKeyOf } from '../../../local/local-secrets';
import { type LocalPipeline, startLocalPipeline } from '../../../local/pipeline';
import {
  postDelivery as post,
  resolveSource,
  type SignedDelivery,
  signDelivery,
} from '../../../local/send-webhooks';

async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  assert.equal(response.status, 200, url);
  return (await response.json()) as T;
}

/** `/proc/net/tcp*` address (hex, 32-bit words in host byte order) → readable address. */
function decodeProcAddress(hex: string): string {
  const bytes = (hex.match(/.{8}/g) ?? []).flatMap((word) =>
    (word.match(/../g) ?? []).reverse().map((b) => Number.parseInt(b, 16)),
  );
  if (bytes.length === 4) return bytes.join('.');
  const v4Mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (v4Mapped) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}

/** The addresses on which something listens on this TCP port (Linux: from /proc/net). */
function listeningAddresses(port: number): string[] {
  const addresses: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      const [address, hexPort] = (local ?? '').split(':');
      // 0A is TCP_LISTEN.
      if (state === '0A' && address && Number.parseInt(hexPort ?? '', 16) === port) {
        addresses.push(decodeProcAddress(address));
      }
    }
  }
  return addresses;
}

const isLoopback = (address: string) =>
  address.startsWith('127.') || address.startsWith('::ffff:127.') || address === '0:0:0:0:0:0:0:1';

const REPO = join(import.meta.dirname, '..', '..', '..');

describe('local mode, end to end', () => {
  let pipeline: LocalPipeline;
  let secretsPath: string;
  const stripe = resolveSource('stripe', pipelineConfig.sources);

  function signedStripe(event: string): SignedDelivery {
    const entry = readLocalSecrets(secretsPath).sources[stripe.id];
    assert.ok(entry);
    return signDelivery(
      stripe,
      renderFixture(loadFixture('stripe', event)),
      signingKeyOf(entry),
      pipeline.url,
    );
  }

  before(async () => {
    // A fresh secrets file, created from the committed example, as on a first run.
    secretsPath = join(tmpdir(), `local-mode-secrets-${randomUUID()}.json`);
    pipeline = await startLocalPipeline({
      port: 0,
      cdpPort: 0,
      secretsPath,
      // One receive before the DLQ, so the outage case finishes within the processor's first backoff.
      queue: { maxReceiveCount: 1, maxBatchingWindowSeconds: 0 },
      pollWaitSeconds: 1,
      quiet: true,
      log: () => {},
      // The JVM starts slowly on a loaded machine (e.g. beside the other integration tests).
      startTimeoutMs: 120_000,
    });
  });

  after(async () => {
    await pipeline?.stop();
    rmSync(secretsPath, { force: true });
  });

  it('creates the secrets file from the example and serves every configured source', () => {
    assert.equal(pipeline.secrets.created, true);
    assert.deepEqual(Object.keys(pipeline.sourceUrls).sort(), pipelineConfig.sources.map((s) => s.id).sort());
  });

  const admin = () => `${pipeline.cdp.url}/_admin`;
  let first: SignedDelivery;

  it('a signed Stripe POST is accepted and the mapped profile appears in the CDP', async () => {
    first = signedStripe('customer.subscription.updated');
    const answer = await post(first);
    assert.ok(answer.status >= 200 && answer.status < 300, `${answer.status} ${answer.body}`);

    const profile = await eventually(async () => {
      const { records } = await getJson<{ records: Record<string, unknown>[] }>(
        `${admin()}/records/profiles`,
      );
      return records.find((r) => r.email === 'ada.lovelace@example.com');
    }, 'the profile in the CDP stand-in');
    assert.equal(profile.subscription_status, 'active');
    assert.equal(profile.subscription_plan, 'Pro monthly');
    assert.equal(profile.stripe_customer_id, 'cus_QLocalAda0001');
  });

  it('the same POST again has no second effect', async () => {
    const before = await getJson<{ total: number }>(`${admin()}/effects`);
    const requestsBefore = (await getJson<{ requests: unknown[] }>(`${admin()}/requests`)).requests.length;
    const handledBefore = pipeline.poller.stats().deleted;

    const answer = await post(first);
    assert.ok(answer.status >= 200 && answer.status < 300, `${answer.status} ${answer.body}`);
    // The duplicate was taken off the queue by the processor (acknowledged as a duplicate)…
    await eventually(
      async () => (pipeline.poller.stats().deleted > handledBefore ? true : undefined),
      'the duplicate to be processed',
    );
    // …without changing anything in the CDP.
    const afterEffects = await getJson<{ total: number }>(`${admin()}/effects`);
    assert.equal(afterEffects.total, before.total);
    const { records } = await getJson<{ records: unknown[] }>(`${admin()}/records/profiles`);
    assert.equal(records.length, 1);
    const requestsAfter = (await getJson<{ requests: { replayed: boolean }[] }>(`${admin()}/requests`))
      .requests;
    assert.ok(
      requestsAfter.slice(requestsBefore).every((r) => r.replayed),
      'no new effective CDP write',
    );
  });

  it('every server of local mode listens on loopback only (emulators, CDP stand-in, webhook endpoint)', {
    skip: existsSync('/proc/net/tcp') ? false : 'reads listening sockets from /proc/net (Linux)',
  }, () => {
    const servers = {
      'webhook endpoint': pipeline.url,
      'CDP stand-in': pipeline.cdp.url,
      'fauxqs (SQS, S3)': pipeline.emulators.fauxqsEndpoint,
      'DynamoDB Local': pipeline.emulators.dynamodbEndpoint,
      'Secrets Manager stand-in': pipeline.emulators.secretsManagerEndpoint,
    };
    for (const [name, url] of Object.entries(servers)) {
      const addresses = listeningAddresses(Number(new URL(url).port));
      assert.ok(addresses.length > 0, `${name}: nothing listens on ${url}`);
      assert.ok(addresses.every(isLoopback), `${name} (${url}) listens on ${addresses.join(', ')}`);
    }
  });

  it('the block `npm start` prints, pasted into a shell, points the webhooks CLI at local mode', async () => {
    const block = cliEnvBlock({
      emulators: pipeline.emulators,
      queueUrl: pipeline.resources.queueUrl,
      dlqUrl: pipeline.resources.dlqUrl,
      tableName: pipeline.resources.tableName,
    });
    // A shell as a user's: no local-mode variables, and a named profile that does not exist (the block must
    // unset it, or the SDK would ignore the dummy credentials and fail on the profile).
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (value !== undefined && !/^(AWS_|WEBHOOKS_)/.test(name)) env[name] = value;
    }
    Object.assign(env, {
      AWS_PROFILE: 'production-sso',
      AWS_CONFIG_FILE: join(tmpdir(), `no-aws-config-${randomUUID()}`),
      AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), `no-aws-credentials-${randomUUID()}`),
      WEBHOOKS_STACK: 'some-deployed-stack',
    });
    // Asynchronous: fauxqs runs in this process and must keep answering while the CLI runs.
    const webhooks = async (...args: string[]): Promise<unknown> => {
      const child = spawn(
        'bash',
        ['-c', `${block}\nexec "$0" --import tsx bin/webhooks-cli.ts "$@"`, process.execPath, ...args],
        { cwd: REPO, env, timeout: 60_000 },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 0, `webhooks ${args.join(' ')}: ${stderr}${stdout}`);
      return JSON.parse(stdout) as unknown;
    };
    const eventId = (JSON.parse(first.body.toString()) as { id: string }).id;
    const lookup = (await webhooks('events', 'get', 'stripe', eventId, '--json')) as {
      found: boolean;
      record?: { status: string };
    };
    assert.equal(lookup.found, true, JSON.stringify(lookup));
    assert.equal(lookup.record?.status, 'COMPLETED');
    const listed = (await webhooks('dlq', 'list', '--json')) as { dlqUrl: string; messages: unknown[] };
    assert.equal(listed.dlqUrl, pipeline.resources.dlqUrl);
    assert.ok(Array.isArray(listed.messages));
  });

  it('a delivery with a tampered body is rejected and never queued', async () => {
    const delivery = signedStripe('invoice.payment_succeeded');
    const tampered = { ...delivery, body: Buffer.from(delivery.body.toString().replace('4900', '1')) };
    const answer = await post(tampered);
    assert.ok(answer.status === 400 || answer.status === 401, `${answer.status} ${answer.body}`);
  });

  it('a Klaviyo delivery as Klaviyo sends it (HTTP-date Klaviyo-Timestamp) reaches the CDP', async () => {
    const klaviyo = resolveSource('klaviyo', pipelineConfig.sources);
    const entry = readLocalSecrets(secretsPath).sources[klaviyo.id];
    assert.ok(entry);
    const delivery = signDelivery(
      klaviyo,
      renderFixture(loadFixture('klaviyo', 'opened-email')),
      signingKeyOf(entry),
      pipeline.url,
    );
    assert.match(delivery.headers['Klaviyo-Timestamp'] ?? '', / GMT$/);
    const answer = await post(delivery);
    assert.equal(answer.status, 202, answer.body);
    const [eventId] = (JSON.parse(answer.body) as { eventIds: string[] }).eventIds;
    await eventually(async () => {
      const { records } = await getJson<{ records: Record<string, unknown>[] }>(`${admin()}/records/events`);
      return records.find((r) => r.dedupe_key === eventId && r.provider === 'klaviyo');
    }, 'the Klaviyo event in the CDP stand-in');
  });

  it('during a CDP outage the event ends up in the DLQ', async () => {
    const faults = await fetch(`${admin()}/faults`, {
      method: 'POST',
      body: JSON.stringify({ outage: true }),
    });
    assert.equal(faults.status, 200);
    try {
      const delivery = signedStripe('invoice.payment_succeeded');
      const eventId = (JSON.parse(delivery.body.toString()) as { id: string }).id;
      const answer = await post(delivery);
      assert.ok(answer.status >= 200 && answer.status < 300, `${answer.status} ${answer.body}`);

      const sqs = createSqsClient();
      const dead = await eventually(
        async () => {
          const got = await sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: pipeline.resources.dlqUrl,
              WaitTimeSeconds: 1,
              MessageAttributeNames: ['All'],
            }),
          );
          return got.Messages?.find((m) => (m.Body ?? '').includes(eventId));
        },
        'the event in the DLQ',
        60_000,
      );
      const envelope = JSON.parse(dead.Body ?? '{}') as { sourceId?: string; dedupeKey?: string };
      assert.equal(envelope.sourceId, 'stripe');
      assert.equal(envelope.dedupeKey, `stripe:${eventId}`);
      const { records } = await getJson<{ records: unknown[] }>(`${admin()}/records/payments`);
      assert.equal(records.length, 0);
    } finally {
      await fetch(`${admin()}/faults`, { method: 'POST', body: '{}' });
    }
  });
});
