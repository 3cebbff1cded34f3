import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { operationIdempotencyKey } from '../../../lambdas/mapping/index';
import { createSqsClient } from '../../../lambdas/shared/aws-clients';
import { FAILURE_ATTRIBUTES } from '../../../lambdas/shared/envelope';
import { uniqueName } from '../../support/emulators';
import { eventInput, segmentTrack, useHarness } from '../processor/harness';
import { cli } from './harness';

describe('CLI redrive with the real processor: a rejected event is applied exactly once after the fix', () => {
  const h = useHarness({ cdpRequestTimeoutMs: 400 });

  it('DLQ → list shows the reason → redrive → applied once; a second redrive or replay changes nothing', async () => {
    const envelope = await h.envelope(segmentTrack());
    const effectKey = operationIdempotencyKey(envelope.dedupeKey, 'events.append');
    const args = ['--queue-url', h.queueUrl, '--dlq-url', h.dlqUrl];

    // The CDP rejects the record: the processor dead-letters it with its reason.
    h.standIn.queueFaults({ status: 422 });
    await h.deliver(envelope);
    const listed = JSON.parse((await cli(['dlq', 'list', ...args, '--json'])).stdout).messages;
    assert.equal(listed.length, 1);
    assert.equal(listed[0].reason, 'cdp_rejected');
    assert.equal(listed[0].status, 422);
    assert.equal(listed[0].dedupeKey, envelope.dedupeKey);
    assert.equal(h.standIn.effects().get(effectKey) ?? 0, 0);

    const dir = await mkdtemp(join(tmpdir(), 'webhooks-redrive-'));
    try {
      const file = join(dir, 'export.jsonl');
      assert.equal((await cli(['dlq', 'export', ...args, '--out', file])).code, 0);

      // The fault has cleared (no more queued faults): redrive the rejected event.
      const moved = await cli(['dlq', 'redrive', ...args, '--reason', 'cdp_rejected', '--yes', '--json']);
      assert.equal(moved.code, 0, moved.stderr);
      assert.equal(JSON.parse(moved.stdout).moved.length, 1);
      await h.drain();
      assert.equal(h.standIn.effects().get(effectKey), 1, 'applied once');
      assert.equal((await h.dedupeStore.get(envelope.dedupeKey))?.status, 'COMPLETED');
      assert.equal(JSON.parse((await cli(['dlq', 'stats', ...args, '--json'])).stdout).depth.total, 0);

      // An on-call mistake: the same event put back again from the export. The replay reads the event's
      // dedupe record first and refuses it as already completed, with the reason; nothing is sent.
      const replayed = await cli([
        'replay',
        '--from',
        file,
        ...args,
        '--table',
        h.tableName,
        '--yes',
        '--json',
      ]);
      assert.equal(replayed.code, 0, replayed.stderr);
      const result = JSON.parse(replayed.stdout);
      assert.equal(result.sent.length, 0);
      assert.deepEqual(
        result.refused.map((r: { reason: string; dedupeKey: string }) => [r.reason, r.dedupeKey]),
        [['already_completed', envelope.dedupeKey]],
      );
      // Put back by hand anyway (a second redrive of a copy): the processor's dedupe absorbs it.
      await h.deliver(envelope);
      assert.equal(h.standIn.effects().get(effectKey), 1, 'still applied once');
      assert.equal(h.metrics.count('Processed'), 1);
      assert.equal(h.metrics.count('DuplicateSkipped'), 1, 'the copy was recognised as a duplicate');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a redriven unusable_payload (dead-lettered by the ingest) goes back to the DLQ with its reason, never to the CDP', async () => {
    const args = ['--queue-url', h.queueUrl, '--dlq-url', h.dlqUrl];
    const reason = 'The payload carries no events';
    // What the ingest dead-letters for an authentic request without a usable event (lambdas/ingest/ingest.ts).
    const envelope = {
      ...(await h.envelope(eventInput('github', 'unknown', Buffer.from('{"zen":"no event here"}')))),
      providerEventId: undefined,
      dedupeKey: `github:sha256:${uniqueName('h')}`,
    };
    await createSqsClient().send(
      new SendMessageCommand({
        QueueUrl: h.dlqUrl,
        MessageBody: JSON.stringify(envelope),
        MessageAttributes: {
          [FAILURE_ATTRIBUTES.failureClass]: { DataType: 'String', StringValue: 'unusable_payload' },
          [FAILURE_ATTRIBUTES.failureMessage]: { DataType: 'String', StringValue: reason },
          [FAILURE_ATTRIBUTES.failedBy]: { DataType: 'String', StringValue: 'ingest' },
        },
      }),
    );
    const moved = await cli(['dlq', 'redrive', ...args, '--yes', '--json']);
    assert.equal(moved.code, 0, moved.stderr);
    await h.drain();
    const listed = JSON.parse((await cli(['dlq', 'list', ...args, '--json'])).stdout).messages;
    const back = listed.find((m: { dedupeKey: string }) => m.dedupeKey === envelope.dedupeKey);
    assert.equal(back?.reason, 'unusable_payload', 'back in the DLQ with its reason');
    assert.equal(h.standIn.records('events').filter((r) => r.dedupe_key === envelope.dedupeKey).length, 0);
    assert.equal(await h.dedupeStore.get(envelope.dedupeKey), undefined);
  });
});
