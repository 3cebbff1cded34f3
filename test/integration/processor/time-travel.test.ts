/**
 * Time travel: follows every clock of one claim-checked event along dead-letter → redrive → replay cycles up
 * to the DLQ's retention, with a simulated clock (the processor's and the CLI's `now`) and a simulated S3
 * lifecycle that expires objects the way the bucket's rule does: `expirationDays` after the object's last
 * write, as S3 counts it (a real write, seen through the emulator's Last-Modified). Message lifetimes are
 * checked against the real retentions from lib/resource-definitions.ts.
 *
 * On the code before the fix, the redrive on day 26 finds the body expired on day 15 (claim_check_missing),
 * and the export replay applies the event a second time or fails late.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { defaultClients } from '../../../cli/clients';
import { runCli } from '../../../cli/program';
import type { Terminal } from '../../../cli/terminal';
import { operationIdempotencyKey } from '../../../lambdas/mapping/index';
import type { QueueEnvelope } from '../../../lambdas/shared/envelope';
import { createS3Client } from '../../../lambdas/shared/s3-client';
import { resolvePipelineConfig } from '../../../lib/config';
import { pipelineConfig } from '../../../lib/pipeline-config';
import { resourceDefinitions } from '../../../lib/resource-definitions';
import { eventInput, fixture, useHarness } from './harness';

const DAY_MS = 86_400_000;
const defs = resourceDefinitions(resolvePipelineConfig(pipelineConfig));
const EXPIRATION_DAYS = defs.claimCheckBucket.expirationDays;
const DLQ_RETENTION_MS = defs.deadLetterQueue.retentionSeconds * 1000;
/** How long an unfinished event's dedupe record lives after its last write (main queue + DLQ + 1 day). */
const RECORD_LIFETIME_DAYS =
  (defs.queue.retentionSeconds + defs.deadLetterQueue.retentionSeconds) / 86_400 + 1;

/** S3's lifecycle expiration, simulated: an object expires `days` after its last write (in simulated time). */
class SimulatedLifecycle {
  /** Per key: the emulator's Last-Modified seen last, and the simulated time of that write. */
  private readonly writes = new Map<string, { lastModified: string; simulatedAt: number }>();
  readonly expired: string[] = [];
  private readonly s3 = createS3Client();

  constructor(
    private readonly bucket: string,
    private readonly days: number,
  ) {}

  /** Records every write since the last call as having happened at `simulatedNow`. */
  async observe(simulatedNow: number): Promise<void> {
    const listed = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket }));
    for (const object of listed.Contents ?? []) {
      const key = object.Key ?? '';
      const lastModified = object.LastModified?.toISOString() ?? '';
      if (this.writes.get(key)?.lastModified !== lastModified) {
        this.writes.set(key, { lastModified, simulatedAt: simulatedNow });
      }
    }
  }

  /** Deletes what the lifecycle rule would have expired by `simulatedNow` (no midnight rounding: worst case). */
  async expire(simulatedNow: number): Promise<void> {
    for (const [key, write] of this.writes) {
      if (write.simulatedAt + this.days * DAY_MS <= simulatedNow) {
        await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
        this.writes.delete(key);
        this.expired.push(key);
      }
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch {
      return false;
    }
  }
}

/** A Segment `track` whose body is over the 256 KiB claim-check threshold. */
function bigTrack(eventId: string) {
  const track = JSON.parse(fixture('segment-track.json').toString('utf8'));
  track.messageId = eventId;
  track.properties = {
    ...track.properties,
    attachment: 'x'.repeat(defs.claimCheckBucket.thresholdBytes + 4096),
  };
  return { ...eventInput('segment', 'track', track, { eventId }), claimCheck: true };
}

describe('time travel: no body, record or message is lost across dead-letter → redrive → replay', () => {
  const start = Date.now();
  let simulatedNow = start;
  const day = (n: number) => start + n * DAY_MS;
  const h = useHarness({ now: () => simulatedNow, cdpRequestTimeoutMs: 400 });

  async function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const terminal: Terminal = {
      out: (text) => out.push(text),
      err: (text) => err.push(text),
      progressStream: undefined,
      interactive: false,
      ask: async () => '',
    };
    const code = await runCli(args, {
      clients: defaultClients(),
      terminal,
      env: {},
      now: () => simulatedNow,
    });
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  }

  it('a > 256 KiB event failing on day 0, redriven on day 13 and again on day 26, is applied exactly once', async () => {
    const lifecycle = new SimulatedLifecycle(h.bucket, EXPIRATION_DAYS);
    const envelope: QueueEnvelope = await h.envelope(bigTrack(`msg_tt_${start}`));
    assert.equal(envelope.body.kind, 's3');
    const key = envelope.body.kind === 's3' ? envelope.body.key : '';
    assert.ok(envelope.body.kind === 's3' && envelope.body.sizeBytes > defs.claimCheckBucket.thresholdBytes);
    const effectKey = operationIdempotencyKey(envelope.dedupeKey, 'events.append');
    const args = ['--queue-url', h.queueUrl, '--dlq-url', h.dlqUrl, '--table', h.tableName];
    /** Simulated creation time of the message currently holding the event, and the queue's retention. */
    let message = { createdAt: day(0), retentionMs: DLQ_RETENTION_MS };
    const assertMessageAlive = () =>
      assert.ok(
        simulatedNow < message.createdAt + message.retentionMs,
        `the message would have expired on day ${(message.createdAt + message.retentionMs - start) / DAY_MS}`,
      );

    // Day 0: ingested, and the CDP rejects it for good: dead-lettered with its reason.
    await lifecycle.observe(day(0));
    h.standIn.queueFaults({ status: 422 });
    await h.deliver(envelope);
    await lifecycle.observe(day(0));
    const stats = JSON.parse((await cli(['dlq', 'stats', ...args, '--json'])).stdout);
    assert.equal(stats.byReason.cdp_rejected, 1, 'dead-lettered with its reason');

    // Day 13: still in the DLQ (14-day retention), the body still there; redrive, fails again.
    simulatedNow = day(13);
    await lifecycle.expire(simulatedNow);
    assertMessageAlive();
    assert.ok(await lifecycle.exists(key), 'body present on day 13');
    h.standIn.queueFaults({ status: 422 });
    const first = await cli(['dlq', 'redrive', ...args, '--reason', 'cdp_rejected', '--yes', '--json']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(JSON.parse(first.stdout).moved.length, 1);
    await lifecycle.observe(simulatedNow);
    await h.drain();
    await lifecycle.observe(simulatedNow);
    // The processor dead-lettered it with SendMessage on day 13: a new 14-day clock.
    message = { createdAt: day(13), retentionMs: DLQ_RETENTION_MS };
    assert.equal(h.standIn.effects().get(effectKey) ?? 0, 0);

    // Day 26: past the day-0 body's expiry (day 15), inside the day-13 message's retention (day 27).
    simulatedNow = day(26);
    await lifecycle.expire(simulatedNow);
    assertMessageAlive();
    assert.ok(await lifecycle.exists(key), 'the body outlived the message pointing to it');
    assert.deepEqual(lifecycle.expired, []);

    const dir = await mkdtemp(join(tmpdir(), 'time-travel-'));
    try {
      const file = join(dir, 'export.jsonl');
      assert.equal((await cli(['dlq', 'export', ...args, '--out', file])).code, 0);

      // The CDP is fixed: the redrive applies it once and the completed event's body is deleted.
      const second = await cli(['dlq', 'redrive', ...args, '--reason', 'cdp_rejected', '--yes', '--json']);
      assert.equal(second.code, 0, second.stderr);
      await h.drain();
      assert.equal(h.standIn.effects().get(effectKey), 1, 'applied exactly once');
      assert.equal((await h.dedupeStore.get(envelope.dedupeKey))?.status, 'COMPLETED');
      assert.equal(h.metrics.count('DeadLettered'), 2);
      assert.ok(!h.logs.lines.some((e) => JSON.stringify(e).includes('claim_check_missing')));
      assert.equal(await lifecycle.exists(key), false, 'a completed event keeps no body');

      // Day 27: a replay of the day-26 export is refused up front with its reason, not applied twice.
      simulatedNow = day(27);
      const replayed = await cli(['replay', '--from', file, ...args, '--yes', '--json']);
      assert.equal(replayed.code, 0, replayed.stderr);
      const result = JSON.parse(replayed.stdout);
      assert.equal(result.sent.length, 0);
      assert.equal(result.refused[0]?.reason, 'already_completed');
      await h.drain();
      assert.equal(h.standIn.effects().get(effectKey), 1, 'still applied once');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to replay an export whose body or dedupe record can no longer exist, with the reason', async () => {
    simulatedNow = day(0);
    const lifecycle = new SimulatedLifecycle(h.bucket, EXPIRATION_DAYS);
    const envelope = await h.envelope(bigTrack(`msg_tt_gone_${start}`));
    const key = envelope.body.kind === 's3' ? envelope.body.key : '';
    const args = ['--queue-url', h.queueUrl, '--dlq-url', h.dlqUrl, '--table', h.tableName];
    await lifecycle.observe(simulatedNow);
    h.standIn.queueFaults({ status: 422 });
    await h.deliver(envelope);
    await lifecycle.observe(simulatedNow);
    const dir = await mkdtemp(join(tmpdir(), 'time-travel-'));
    try {
      const file = join(dir, 'export.jsonl');
      assert.equal((await cli(['dlq', 'export', ...args, '--out', file, '--source', 'segment'])).code, 0);
      // The DLQ copy is purged; long after every retention (the body's, and the unfinished record's), only
      // the export remains.
      assert.equal((await cli(['dlq', 'purge', ...args, '--source', 'segment', '--yes'])).code, 0);
      simulatedNow = day(Math.max(EXPIRATION_DAYS, RECORD_LIFETIME_DAYS) + 5);
      await lifecycle.expire(simulatedNow);
      assert.equal(await lifecycle.exists(key), false);

      const refused = await cli(['replay', '--from', file, ...args, '--yes', '--json']);
      assert.equal(refused.code, 1, 'an unsafe replay is refused with a non-zero exit');
      const verdict = JSON.parse(refused.stdout).refused[0];
      // The record of this never-applied event has expired by now (past every retention): replaying blind
      // could apply twice for an event that was half applied, so the replay says so instead.
      assert.equal(verdict?.reason, 'dedupe_record_gone');

      // The operator knows it was never applied: the body is what is missing now, said as such.
      const forced = await cli(['replay', '--from', file, ...args, '--allow-reapply', '--yes', '--json']);
      assert.equal(forced.code, 1);
      const forcedResult = JSON.parse(forced.stdout);
      assert.equal(forcedResult.sent.length, 0);
      assert.equal(forcedResult.refused[0]?.reason, 'claim_check_missing');
      assert.match(forcedResult.refused[0]?.detail ?? '', /no longer exists/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // Breach 5: an unfinished event's record is renewed on every touch to outlive main queue + DLQ
  // retention, so on day 26 (13 days after the last redrive) it is still there.
  it("keeps an incomplete event's dedupe record for as long as a message can carry it (day 26)", async () => {
    simulatedNow = day(0);
    const envelope = await h.envelope(bigTrack(`msg_tt_record_${start}`));
    h.standIn.queueFaults({ status: 422 });
    await h.deliver(envelope);
    const args = ['--queue-url', h.queueUrl, '--dlq-url', h.dlqUrl, '--table', h.tableName];
    simulatedNow = day(13);
    h.standIn.queueFaults({ status: 422 });
    await cli(['dlq', 'redrive', ...args, '--source', 'segment', '--yes']);
    await h.drain();
    simulatedNow = day(26);
    const record = await h.dedupeStore.get(envelope.dedupeKey);
    assert.ok(record, 'the record exists');
    assert.ok(record.expiresAt * 1000 > simulatedNow, 'and has not expired while its DLQ message lives');
    await cli(['dlq', 'purge', ...args, '--source', 'segment', '--yes']);
  });
});
