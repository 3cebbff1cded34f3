import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_VISIBILITY_SECONDS, retryDelaySeconds } from '../../../lambdas/processor/backoff';

const policy = { baseDelaySeconds: 10, maxDelaySeconds: 900 };

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
});
