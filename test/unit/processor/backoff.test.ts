import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  backoffForVisibility,
  DEFAULT_BACKOFF,
  longestRetrySpanSeconds,
  MAX_VISIBILITY_SECONDS,
  retryDelaySeconds,
  retrySchedule,
  visibilityCeilingSeconds,
} from '../../../lambdas/processor/backoff';
import { QUEUE_DEFAULTS } from '../../../lambdas/shared/schema';
import { resolvePipelineConfig } from '../../../lib/config';
import { resourceDefinitions } from '../../../lib/resource-definitions';

const policy = { baseDelaySeconds: 10, maxDelaySeconds: 900 };
const HOUR = 3600;
const DAY = 86_400;

describe('retry delays', () => {
  it('grow exponentially with the receive count and never shrink, whatever the jitter', () => {
    for (let attempt = 1; attempt < 12; attempt++) {
      const highest = retryDelaySeconds({ receiveCount: attempt, random: 0.999999, policy });
      const nextLowest = retryDelaySeconds({ receiveCount: attempt + 1, random: 0, policy });
      assert.ok(nextLowest >= highest || highest >= 900, `attempt ${attempt}: ${nextLowest} < ${highest}`);
    }
    assert.equal(retryDelaySeconds({ receiveCount: 1, random: 0, policy }), 5);
    assert.equal(retryDelaySeconds({ receiveCount: 3, random: 0.999999, policy }), 40);
  });

  it('spread retries of simultaneous failures (jitter)', () => {
    const delays = new Set(
      [0, 0.25, 0.5, 0.75, 0.99].map((random) => retryDelaySeconds({ receiveCount: 4, random, policy })),
    );
    assert.ok(delays.size >= 4);
  });

  it('are capped, but honour Retry-After as a floor up to the SQS maximum', () => {
    assert.ok(retryDelaySeconds({ receiveCount: 30, random: 1, policy }) <= 900);
    assert.equal(retryDelaySeconds({ receiveCount: 1, random: 0, policy, floorMs: 120_000 }), 120);
    assert.equal(
      retryDelaySeconds({ receiveCount: 1, random: 0, policy, floorMs: 10 ** 9 }),
      MAX_VISIBILITY_SECONDS,
    );
  });

  it('clamp a Retry-After of 20 h to the 12 h maximum instead of falling back to the default visibility', () => {
    const twentyHours = 20 * HOUR * 1000;
    // Received just now: the whole 12 hours.
    assert.equal(
      retryDelaySeconds({
        receiveCount: 1,
        random: 0,
        floorMs: twentyHours,
        policy: { ...DEFAULT_BACKOFF, ceilingSeconds: MAX_VISIBILITY_SECONDS },
      }),
      43_200,
    );
    // As the processor runs: SQS counts 12 h from the receive (at most one visibility timeout ago), so the
    // request is 12 h minus that, which SQS accepts, rather than a rejected 43200 and a 180 s retry.
    const visibility = QUEUE_DEFAULTS.processorTimeoutSeconds * QUEUE_DEFAULTS.visibilityTimeoutMultiplier;
    const delay = retryDelaySeconds({ receiveCount: 1, random: 0, floorMs: twentyHours });
    assert.equal(delay, MAX_VISIBILITY_SECONDS - visibility);
    assert.equal(delay, visibilityCeilingSeconds(visibility));
    assert.ok(delay > 11 * HOUR);
    assert.equal(
      retryDelaySeconds({
        receiveCount: 1,
        random: 0,
        floorMs: twentyHours,
        policy: backoffForVisibility(900),
      }),
      43_200 - 900,
    );
  });
});

describe('retry budget with the default queue settings', () => {
  const maxReceiveCount = QUEUE_DEFAULTS.maxReceiveCount;

  it('survives a 2-hour CDP outage before the last receive, at the low end of the jitter', () => {
    const schedule = retrySchedule(maxReceiveCount);
    assert.equal(schedule.earliest.length, maxReceiveCount - 1);
    // Monotonic, and the earliest last receive is past 2 hours (with room to spare).
    for (let i = 1; i < schedule.earliest.length; i++) {
      assert.ok((schedule.earliest[i] ?? 0) > (schedule.earliest[i - 1] ?? 0));
    }
    assert.ok(
      schedule.earliestLastReceiveSeconds >= 2 * HOUR + 15 * 60,
      `last receive may come after only ${schedule.earliestLastReceiveSeconds} s`,
    );
    // Receives spent on contention (entity_busy, in_progress) before the outage cost little: they are the
    // short early ones, so even four of them leave the 2 hours covered.
    for (let spent = 1; spent <= 4; spent++) {
      const shifted = retrySchedule(maxReceiveCount, DEFAULT_BACKOFF, spent);
      assert.ok(shifted.earliestLastReceiveSeconds >= 2 * HOUR, `${spent} receives spent before the outage`);
    }
  });

  it('dead-letters a longer outage within hours, well inside the main-queue retention', () => {
    const schedule = retrySchedule(maxReceiveCount);
    assert.ok(schedule.latestDeadLetterSeconds <= 5 * HOUR, `${schedule.latestDeadLetterSeconds} s`);
    const retention = QUEUE_DEFAULTS.mainRetentionDays * DAY;
    assert.ok(schedule.latestDeadLetterSeconds < retention / 10);
    // Even if every receive is held for SQS's full 12 h (a CDP answering Retry-After: 20 h each time), the
    // message reaches the DLQ before it could expire on the main queue.
    assert.ok(longestRetrySpanSeconds(maxReceiveCount) < retention);
  });

  it('is what the stack and local mode configure', () => {
    const defs = resourceDefinitions(
      resolvePipelineConfig({
        sources: [{ id: 's', provider: 'stripe' }],
        cdp: { baseUrl: 'https://x.example' },
      }),
    );
    assert.equal(defs.deadLetterQueue.maxReceiveCount, maxReceiveCount);
    assert.equal(defs.queue.retentionSeconds, QUEUE_DEFAULTS.mainRetentionDays * DAY);
    assert.equal(
      backoffForVisibility(defs.queue.visibilityTimeoutSeconds).ceilingSeconds,
      DEFAULT_BACKOFF.ceilingSeconds,
    );
  });

  it('keeps local mode with --max-receive-count 1 quick: the first retry comes 5-10 s later', () => {
    assert.equal(retryDelaySeconds({ receiveCount: 1, random: 0 }), 5);
    assert.equal(retryDelaySeconds({ receiveCount: 1, random: 0.999999 }), 10);
  });
});
