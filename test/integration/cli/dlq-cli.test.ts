import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createSqsClient } from '../../../lambdas/shared/aws-clients';
import { FAILURE_ATTRIBUTES, MESSAGE_ATTRIBUTES } from '../../../lambdas/shared/envelope';
import { useEmulators } from '../../support/emulators';
import {
  cli,
  createQueues,
  depth,
  drain,
  envelopeBody,
  type Queues,
  type SeedEvent,
  sendExhausted,
  sendRejected,
} from './harness';

const run = promisify(execFile);

const rejected: SeedEvent = {
  sourceId: 'shop-a',
  eventId: 'evt_rejected_1',
  eventType: 'customer.updated',
  payload: '{"id":"evt_rejected_1","email":"not-an-email"}',
};
const exhausted: SeedEvent = {
  sourceId: 'crm-b',
  eventId: 'evt_exhausted_1',
  eventType: 'contact.created',
  payload: '{"id":"evt_exhausted_1","note":"CDP was down"}',
};

interface Seeded extends Queues {
  readonly rejectedId: string;
  readonly exhaustedId: string;
  readonly args: string[];
}

async function seed(): Promise<Seeded> {
  const sqs = createSqsClient();
  const queues = await createQueues(sqs);
  const rejectedId = await sendRejected(sqs, queues, rejected);
  const exhaustedId = await sendExhausted(sqs, queues, exhausted);
  assert.equal(await depth(sqs, queues.dlqUrl), 2, 'both failing events are in the DLQ');
  assert.equal(await depth(sqs, queues.queueUrl), 0);
  return {
    ...queues,
    rejectedId,
    exhaustedId,
    args: ['--queue-url', queues.queueUrl, '--dlq-url', queues.dlqUrl],
  };
}

interface ListedMessage {
  readonly messageId: string;
  readonly sourceId: string;
  readonly eventType: string;
  readonly dedupeKey: string;
  readonly reason: string;
  readonly status?: number;
}

function listed(stdout: string): ListedMessage[] {
  return (JSON.parse(stdout) as { messages: ListedMessage[] }).messages;
}

describe('webhooks CLI against fauxqs', () => {
  useEmulators();

  it('dlq list shows each failed event with its reason, and consumes nothing', async () => {
    const s = await seed();
    const first = await cli(['dlq', 'list', ...s.args, '--json']);
    assert.equal(first.code, 0, first.stderr);
    const messages = listed(first.stdout);
    assert.equal(messages.length, 2);
    const byId = new Map(messages.map((m) => [m.messageId, m]));
    assert.equal(byId.get(s.rejectedId)?.reason, 'cdp_rejected');
    assert.equal(byId.get(s.rejectedId)?.status, 422);
    assert.equal(byId.get(s.rejectedId)?.dedupeKey, 'shop-a:evt_rejected_1');
    assert.equal(byId.get(s.exhaustedId)?.reason, 'max_receive_count_exceeded');
    assert.equal(byId.get(s.exhaustedId)?.sourceId, 'crm-b');

    const filtered = await cli([
      'dlq',
      'list',
      ...s.args,
      '--reason',
      'max_receive_count_exceeded',
      '--json',
    ]);
    assert.deepEqual(
      listed(filtered.stdout).map((m) => m.messageId),
      [s.exhaustedId],
    );
    const none = await cli(['dlq', 'list', ...s.args, '--older-than', '1h', '--json']);
    assert.equal(listed(none.stdout).length, 0);
    const human = await cli(['dlq', 'list', ...s.args]);
    assert.match(human.stdout, /cdp_rejected \(422\)/);
    assert.equal(await depth(createSqsClient(), s.dlqUrl), 2, 'peeking left both messages in the DLQ');
  });

  it('dlq stats reports depth, oldest age and counts by source, event type and reason', async () => {
    const s = await seed();
    const result = await cli(['dlq', 'stats', ...s.args, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const stats = JSON.parse(result.stdout);
    assert.equal(stats.depth.total, 2);
    assert.equal(stats.scanned, 2);
    assert.deepEqual(stats.byReason, { cdp_rejected: 1, max_receive_count_exceeded: 1 });
    assert.deepEqual(stats.bySource, { 'shop-a': 1, 'crm-b': 1 });
    assert.deepEqual(stats.byEventType, { 'customer.updated': 1, 'contact.created': 1 });
    assert.equal(stats.oldest.messageId, s.rejectedId);
    assert.ok(stats.oldest.ageMs >= 0 && stats.oldest.ageMs < 60_000);
  });

  it('dlq show prints envelope, reason and attempts, and the body only with --body', async () => {
    const s = await seed();
    const plain = await cli(['dlq', 'show', s.rejectedId, ...s.args, '--json']);
    assert.equal(plain.code, 0, plain.stderr);
    const shown = JSON.parse(plain.stdout);
    assert.equal(shown.reason, 'cdp_rejected');
    assert.equal(shown.attempts, 1);
    assert.equal(shown.failure.message, 'CDP rejected the record: email invalid');
    assert.equal(shown.envelope.dedupeKey, 'shop-a:evt_rejected_1');
    assert.equal(shown.body, undefined);
    assert.ok(
      !plain.stdout.includes(Buffer.from(rejected.payload).toString('base64')),
      'no body without --body',
    );

    const withBody = await cli(['dlq', 'show', s.rejectedId, ...s.args, '--body', '--json']);
    assert.equal(JSON.parse(withBody.stdout).body, rejected.payload);

    const missing = await cli(['dlq', 'show', 'no-such-id', ...s.args]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /not in/);
  });

  it('--dry-run moves nothing', async () => {
    const s = await seed();
    const dry = await cli(['dlq', 'redrive', ...s.args, '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    const result = JSON.parse(dry.stdout);
    assert.equal(result.dryRun, true);
    assert.equal(result.wouldMove.length, 2);
    assert.deepEqual(result.moved, [], 'a dry run reports candidates as wouldMove, never as moved');
    const human = await cli(['dlq', 'redrive', ...s.args, '--dry-run']);
    assert.match(human.stdout, /Dry run: would move 2 of 2 scanned; nothing was moved/);
    const sqs = createSqsClient();
    assert.equal(await depth(sqs, s.queueUrl), 0);
    assert.equal(await depth(sqs, s.dlqUrl), 2);
  });

  it('filtered redrive moves only the matching event, exactly once, with body and dedupe key unchanged', async () => {
    const s = await seed();
    const moved = await cli([
      'dlq',
      'redrive',
      ...s.args,
      '--source',
      'shop-a',
      '--rate',
      '50',
      '--yes',
      '--json',
    ]);
    assert.equal(moved.code, 0, moved.stderr);
    assert.deepEqual(
      JSON.parse(moved.stdout).moved.map((m: ListedMessage) => m.messageId),
      [s.rejectedId],
    );
    const sqs = createSqsClient();
    const delivered = await drain(sqs, s.queueUrl);
    assert.equal(delivered.length, 1, 'appears once on the main queue');
    assert.equal(delivered[0]?.body, envelopeBody(rejected), 'body unchanged');
    assert.equal(JSON.parse(delivered[0]?.body ?? '{}').dedupeKey, 'shop-a:evt_rejected_1');
    assert.equal(delivered[0]?.attributes[MESSAGE_ATTRIBUTES.dedupeKey], 'shop-a:evt_rejected_1');
    for (const name of Object.values(FAILURE_ATTRIBUTES)) {
      assert.equal(delivered[0]?.attributes[name], undefined, `${name} is stripped`);
    }
    const left = listed((await cli(['dlq', 'list', ...s.args, '--json'])).stdout);
    assert.deepEqual(
      left.map((m) => m.messageId),
      [s.exhaustedId],
    );
  });

  it('unfiltered redrive falls back from StartMessageMoveTask (unsupported by fauxqs) and delivers each event once', async () => {
    const s = await seed();
    const sqs = createSqsClient();
    const moved = await cli(['dlq', 'redrive', ...s.args, '--rate', '100', '--yes', '--json']);
    assert.equal(moved.code, 0, moved.stderr);
    const result = JSON.parse(moved.stdout);
    assert.equal(result.mode, 'move');
    assert.match(result.fallbackReason, /StartMessageMoveTask unavailable \(InvalidAction/);
    assert.equal(result.moved.length, 2);
    const delivered = await drain(sqs, s.queueUrl);
    assert.equal(delivered.length, 2);
    assert.deepEqual(delivered.map((d) => d.attributes[MESSAGE_ATTRIBUTES.dedupeKey]).sort(), [
      'crm-b:evt_exhausted_1',
      'shop-a:evt_rejected_1',
    ]);
    assert.deepEqual(
      delivered.map((d) => d.body).sort(),
      [envelopeBody(exhausted), envelopeBody(rejected)].sort(),
      'bodies unchanged',
    );
    assert.equal(await depth(sqs, s.dlqUrl), 0);

    const again = await cli(['dlq', 'redrive', ...s.args, '--yes', '--json']);
    assert.equal(JSON.parse(again.stdout).moved.length, 0, 'a second redrive finds nothing to move');
    assert.equal((await drain(sqs, s.queueUrl)).length, 0);
  });

  it('purge refuses without confirmation, then deletes filtered or everything once confirmed', async () => {
    const s = await seed();
    const sqs = createSqsClient();
    const refused = await cli(['dlq', 'purge', ...s.args]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /Refusing to permanently delete/);
    const wrongAnswer = await cli(['dlq', 'purge', ...s.args], { answers: ['yes'] });
    assert.equal(wrongAnswer.code, 2, 'typed confirmation must be the queue name');
    assert.equal(await depth(sqs, s.dlqUrl), 2);

    const filtered = await cli(['dlq', 'purge', ...s.args, '--reason', 'cdp_rejected', '--yes', '--json']);
    assert.equal(filtered.code, 0, filtered.stderr);
    assert.equal(JSON.parse(filtered.stdout).deleted.length, 1);
    assert.equal(await depth(sqs, s.dlqUrl), 1);

    const dlqName = s.dlqUrl.split('/').pop() ?? '';
    const all = await cli(['dlq', 'purge', ...s.args], { answers: [dlqName] });
    assert.equal(all.code, 0, all.stderr);
    assert.equal(await depth(sqs, s.dlqUrl), 0);
    assert.equal(await depth(sqs, s.queueUrl), 0, 'purge never touches the main queue');
  });

  it('redrive refuses without a terminal and without --yes; move-task status explains when unsupported', async () => {
    const s = await seed();
    const refused = await cli(['dlq', 'redrive', ...s.args]);
    assert.equal(refused.code, 2);
    assert.equal(await depth(createSqsClient(), s.dlqUrl), 2);
    const moves = await cli(['dlq', 'moves', ...s.args]);
    assert.equal(moves.code, 0, moves.stderr);
    assert.match(moves.stdout, /has no message move tasks, so there are none to list/);
    const movesJson = JSON.parse((await cli(['dlq', 'moves', ...s.args, '--json'])).stdout);
    assert.equal(movesJson.supported, false);
    assert.deepEqual(movesJson.tasks, []);
  });

  it('dlq export then replay re-injects the saved events with their original bodies and dedupe keys', async () => {
    const s = await seed();
    const dir = await mkdtemp(join(tmpdir(), 'webhooks-cli-'));
    try {
      const file = join(dir, 'dlq.jsonl');
      const exported = await cli(['dlq', 'export', ...s.args, '--out', file, '--json']);
      assert.equal(exported.code, 0, exported.stderr);
      assert.equal(JSON.parse(exported.stdout).exported, 2);
      assert.equal((await readFile(file, 'utf8')).trim().split('\n').length, 2);
      const sqs = createSqsClient();
      assert.equal(await depth(sqs, s.dlqUrl), 2, 'export consumes nothing');

      // The seeded events never reached a processor, so they have no dedupe record to check.
      const dry = await cli(['replay', '--from', file, ...s.args, '--allow-reapply', '--dry-run', '--json']);
      assert.equal(JSON.parse(dry.stdout).sent.length, 2);
      assert.equal(await depth(sqs, s.queueUrl), 0, 'replay --dry-run sends nothing');

      const refused = await cli(['replay', '--from', file, ...s.args, '--yes']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /--table/);
      const sent = await cli([
        'replay',
        '--from',
        file,
        ...s.args,
        '--allow-reapply',
        '--source',
        'crm-b',
        '--yes',
        '--json',
      ]);
      assert.equal(sent.code, 0, sent.stderr);
      assert.equal(JSON.parse(sent.stdout).skipped, 1);
      const delivered = await drain(sqs, s.queueUrl);
      assert.equal(delivered.length, 1);
      assert.equal(delivered[0]?.attributes[MESSAGE_ATTRIBUTES.dedupeKey], 'crm-b:evt_exhausted_1');
      assert.equal(JSON.parse(delivered[0]?.body ?? '{}').dedupeKey, 'crm-b:evt_exhausted_1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs as a child process: --json output parses and purge refuses without a TTY', async () => {
    const s = await seed();
    const env = { ...process.env, WEBHOOKS_DLQ_URL: s.dlqUrl, WEBHOOKS_QUEUE_URL: s.queueUrl };
    const stats = await run('npx', ['tsx', 'bin/webhooks-cli.ts', 'dlq', 'stats', '--json'], { env });
    assert.equal(JSON.parse(stats.stdout).depth.total, 2);
    const list = await run('npx', ['tsx', 'bin/webhooks-cli.ts', 'dlq', 'list', '--json'], { env });
    assert.equal(JSON.parse(list.stdout).messages.length, 2);
    await assert.rejects(
      run('npx', ['tsx', 'bin/webhooks-cli.ts', 'dlq', 'purge'], { env }),
      (error: Error & { code?: number; stderr?: string }) =>
        error.code === 2 && /--yes/.test(error.stderr ?? ''),
    );
    assert.equal(await depth(createSqsClient(), s.dlqUrl), 2);
  });
  it('refuses to redrive between a queue and a DLQ that are not paired (explicit set checked by redrive policy)', async () => {
    const a = await seed();
    const b = await createQueues(createSqsClient());
    const mixed = await cli(['dlq', 'redrive', '--queue-url', b.queueUrl, '--dlq-url', a.dlqUrl, '--yes']);
    assert.equal(mixed.code, 1);
    assert.match(mixed.stderr, /is not the dead-letter queue of/);
    assert.equal(await depth(createSqsClient(), a.dlqUrl), 2, 'nothing moved');
    const both = await cli(['dlq', 'stats', '--stack', 'WebhookPipeline', '--dlq-url', a.dlqUrl]);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /--stack WebhookPipeline and --dlq-url both name resources/);
  });

  it('a queue that does not exist: one friendly line and a hint, no stack trace (fauxqs)', async () => {
    const s = await seed();
    const gone = s.dlqUrl.replace(/[^/]+$/, 'no-such-queue');
    const result = await cli(['dlq', 'stats', '--dlq-url', gone]);
    assert.equal(result.code, 1);
    assert.ok(result.stderr.startsWith(`error: Queue ${gone} does not exist`), result.stderr);
    assert.match(
      result.stderr,
      /\nhint: check --stack \(or --queue-url\/--dlq-url\), --region and --profile/,
    );
    assert.doesNotMatch(result.stderr, /^\s+at /m);
  });
});
