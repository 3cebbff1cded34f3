import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_RECEIVE_REASON, matchesFilter, requeueAttributes, toDlqMessage } from '../../../cli/dlq-message';
import { formatDuration, parseDuration, renderTable, UsageError } from '../../../cli/format';
import { type Clock, createRateLimiter } from '../../../cli/rate-limit';
import { pickOutput, requireResource, resolveResources } from '../../../cli/resources';
import { ConfirmationError, confirm, type Terminal } from '../../../cli/terminal';

describe('durations', () => {
  it('parses units, compounds and bare seconds', () => {
    assert.equal(parseDuration('90'), 90_000);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('15m'), 900_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('2d'), 172_800_000);
    assert.equal(parseDuration('250ms'), 250);
  });
  it('rejects what it cannot read', () => {
    for (const bad of ['', 'soon', '5x', '1h junk', '-5m'])
      assert.throws(() => parseDuration(bad), UsageError, bad);
  });
  it('formats compactly', () => {
    assert.equal(formatDuration(42_000), '42s');
    assert.equal(formatDuration(192_000), '3m 12s');
    assert.equal(formatDuration(5 * 3_600_000 + 120_000), '5h 2m');
    assert.equal(formatDuration(52 * 3_600_000), '2d 4h');
  });
  it('renders aligned tables', () => {
    assert.equal(renderTable(['a', 'bb'], [['xxx', 'y']]), 'a    bb\n---  --\nxxx  y');
  });
});

describe('rate limiter', () => {
  it('spaces operations 1/rate apart without an initial burst', async () => {
    let now = 1000;
    const sleeps: number[] = [];
    const clock: Clock = {
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    };
    const limiter = createRateLimiter(4, clock);
    for (let i = 0; i < 5; i++) await limiter.acquire();
    assert.deepEqual(sleeps, [250, 250, 250, 250]);
    assert.throws(() => createRateLimiter(0), RangeError);
  });
});

describe('dead-lettered message view', () => {
  const base = {
    messageId: 'm1',
    body: 'not json',
    sentAtMs: 1_000_000,
    receiveCount: 6,
  };
  it('reports max_receive_count_exceeded when SQS moved it (no failure attributes), using attributes for who/what', () => {
    const message = toDlqMessage({
      ...base,
      attributes: {
        sourceId: { dataType: 'String', stringValue: 'shop-a' },
        eventType: { dataType: 'String', stringValue: 'order.paid' },
      },
    });
    assert.equal(message.failure.reason, MAX_RECEIVE_REASON);
    assert.equal(message.envelope, undefined);
    assert.equal(message.sourceId, 'shop-a');
    assert.equal(message.eventType, 'order.paid');
    assert.equal(message.dedupeKey, 'unknown');
  });
  it('strips only failure attributes when requeueing, keeping binary ones', () => {
    const attributes = requeueAttributes({
      dedupeKey: { dataType: 'String', stringValue: 'shop-a:1' },
      blob: { dataType: 'Binary', binaryValueBase64: Buffer.from([1, 2]).toString('base64') },
      failureClass: { dataType: 'String', stringValue: 'cdp_rejected' },
      attempts: { dataType: 'Number', stringValue: '3' },
      failedBy: { dataType: 'String', stringValue: 'processor' },
    });
    assert.deepEqual(Object.keys(attributes).sort(), ['blob', 'dedupeKey']);
    assert.deepEqual([...(attributes.blob?.BinaryValue ?? [])], [1, 2]);
  });
  it('keeps the class and reason of an unusable_payload message, so a redrive cannot pass it off as an event', () => {
    const attributes = requeueAttributes({
      dedupeKey: { dataType: 'String', stringValue: 'shop-a:sha256:ab' },
      failureClass: { dataType: 'String', stringValue: 'unusable_payload' },
      failureMessage: { dataType: 'String', stringValue: 'The payload carries no events' },
      failedBy: { dataType: 'String', stringValue: 'ingest' },
    });
    assert.deepEqual(Object.keys(attributes).sort(), ['dedupeKey', 'failureClass', 'failureMessage']);
    assert.equal(attributes.failureClass?.StringValue, 'unusable_payload');
  });
  it('filters by age relative to now', () => {
    const message = toDlqMessage({ ...base, attributes: {} });
    const now = base.sentAtMs + 3_600_000;
    assert.equal(matchesFilter(message, { olderThanMs: 1_800_000 }, now), true);
    assert.equal(matchesFilter(message, { olderThanMs: 7_200_000 }, now), false);
    assert.equal(matchesFilter(message, { newerThanMs: 1_800_000 }, now), false);
    assert.equal(matchesFilter(message, { reason: MAX_RECEIVE_REASON, source: 'unknown' }, now), true);
  });
});

describe('resource resolution', () => {
  it('takes every resource from one stack, or from one explicit set (options over WEBHOOKS_* variables)', async () => {
    const stack = async () => ({
      stack: { name: 'Pipeline', outputs: [] },
      queueUrl: 'stack-q',
      dlqUrl: 'stack-dlq',
      tableName: 'stack-t',
    });
    assert.deepEqual(await resolveResources({ stack: 'Pipeline' }, {}, stack), await stack());
    assert.deepEqual(await resolveResources({}, { WEBHOOKS_STACK: 'Pipeline' }, stack), await stack());
    assert.deepEqual(
      await resolveResources(
        { queueUrl: 'opt-q' },
        { WEBHOOKS_DLQ_URL: 'env-dlq', WEBHOOKS_QUEUE_URL: 'env-q' },
        stack,
      ),
      { queueUrl: 'opt-q', dlqUrl: 'env-dlq' },
    );
    assert.deepEqual(await resolveResources({}, { WEBHOOKS_TABLE: 't' }, stack), { tableName: 't' });
    assert.throws(() => requireResource({}, 'dlqUrl'), /--dlq-url/);
  });

  it('refuses a stack named together with any explicit resource: one stack DLQ never meets another queue', async () => {
    let described = 0;
    const stack = async () => {
      described += 1;
      return { queueUrl: 'stack-q', dlqUrl: 'stack-dlq' };
    };
    await assert.rejects(
      resolveResources({ stack: 'Pipeline', queueUrl: 'other-q' }, {}, stack),
      (error: Error) => error.name === 'UsageError' && /--stack Pipeline and --queue-url/.test(error.message),
    );
    await assert.rejects(
      resolveResources({ stack: 'Pipeline' }, { WEBHOOKS_DLQ_URL: 'other-dlq' }, stack),
      /--stack Pipeline and WEBHOOKS_DLQ_URL/,
    );
    await assert.rejects(
      resolveResources({ table: 'other-t' }, { WEBHOOKS_STACK: 'Pipeline' }, stack),
      /WEBHOOKS_STACK Pipeline and --table/,
    );
    assert.equal(described, 0, 'the stack is not even described');
  });

  it('finds CDK outputs declared at stack level or inside a construct', () => {
    const outputs = [
      { OutputKey: 'QueuesDeadLetterQueueUrlA1B2C3D4', OutputValue: 'dlq' },
      { OutputKey: 'QueueUrl', OutputValue: 'q' },
    ];
    assert.equal(pickOutput(outputs, 'QueueUrl'), 'q');
    assert.equal(pickOutput(outputs, 'DeadLetterQueueUrl'), 'dlq');
    assert.equal(pickOutput(outputs, 'StateTableName'), undefined);
    const nested = [{ OutputKey: 'QueuesDeadLetterQueueUrlA1B2C3D4', OutputValue: 'dlq' }];
    assert.equal(pickOutput(nested, 'QueueUrl'), undefined, 'the DLQ URL is never taken for the main queue');
  });
});

describe('confirmation', () => {
  const terminal = (interactive: boolean, answer: string): Terminal => ({
    out: () => undefined,
    err: () => undefined,
    progressStream: undefined,
    interactive,
    ask: async () => answer,
  });
  it('refuses without a terminal unless --yes', async () => {
    await assert.rejects(confirm(terminal(false, 'y'), { yes: false, action: 'purge' }), ConfirmationError);
    await confirm(terminal(false, ''), { yes: true, action: 'purge' });
  });
  it('needs the exact typed text when asked for one', async () => {
    await assert.rejects(
      confirm(terminal(true, 'y'), { yes: false, action: 'purge', typed: 'dlq' }),
      ConfirmationError,
    );
    await confirm(terminal(true, 'dlq'), { yes: false, action: 'purge', typed: 'dlq' });
    await confirm(terminal(true, 'yes'), { yes: false, action: 'redrive' });
    await assert.rejects(confirm(terminal(true, ''), { yes: false, action: 'redrive' }), ConfirmationError);
  });
});
