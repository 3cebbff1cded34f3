/**
 * The tracing switch (lambdas/shared/tracing.ts) with a stand-in tracer: off, the handler is returned as is
 * and nothing is loaded; on, the tracer loads once, traces every client the factories made, and wraps each
 * invocation in a subsegment that is closed even when the handler throws. The real tracer against a fake
 * X-Ray daemon: tracing-xray.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TRACING_ENV, type TracerLike, traceClient, withTracing } from '../../../lambdas/shared/tracing';

const ON = { [TRACING_ENV]: 'true' };

function fakeTracer() {
  const calls: string[] = [];
  const captured: object[] = [];
  const segment = {
    addNewSubsegment: (name: string) => {
      calls.push(`open ${name}`);
      return { close: () => calls.push(`close ${name}`) };
    },
  };
  const tracer = {
    isTracingEnabled: () => true,
    getSegment: () => segment,
    setSegment: () => {},
    annotateColdStart: () => calls.push('coldStart'),
    addServiceNameAnnotation: () => calls.push('service'),
    addErrorAsMetadata: (error: Error) => calls.push(`error ${error.message}`),
    captureAWSv3Client: (client: object) => {
      captured.push(client);
      return client;
    },
  } as unknown as TracerLike;
  return { tracer, calls, captured };
}

describe('withTracing', () => {
  it('off (the default): returns the handler itself and never loads the tracer', () => {
    const handler = async () => 'ok';
    let loads = 0;
    const wrapped = withTracing('ingest', handler, {}, async () => {
      loads++;
      return fakeTracer().tracer;
    });
    assert.equal(wrapped, handler);
    assert.equal(withTracing('ingest', handler, { [TRACING_ENV]: 'false' }), handler);
    assert.equal(loads, 0);
  });

  it('on: loads once, traces clients made before and after, one subsegment per invocation', async () => {
    const fake = fakeTracer();
    let loads = 0;
    const early = traceClient({ name: 'made at module load' }, ON);
    const ignored = traceClient({ name: 'made with tracing off' }, {});
    const wrapped = withTracing(
      'ingest',
      async (n: number) => {
        if (n < 0) throw new Error('boom');
        return n * 2;
      },
      ON,
      async () => {
        loads++;
        return fake.tracer;
      },
    );
    assert.deepEqual(await Promise.all([wrapped(1), wrapped(2)]), [2, 4]);
    const late = traceClient({ name: 'made after the first invocation' }, ON);
    await assert.rejects(wrapped(-1), /boom/);
    assert.equal(loads, 1);
    assert.deepEqual(fake.captured, [early, late]);
    assert.ok(!fake.captured.includes(ignored));
    assert.deepEqual(fake.calls.slice(-5), [
      'open ## ingest.handler',
      'coldStart',
      'service',
      'error boom',
      'close ## ingest.handler',
    ]);
    assert.equal(fake.calls.filter((c) => c === 'close ## ingest.handler').length, 3);
  });

  it('on, but the tracer cannot load (bundle built without it): serves untraced, never fails', async () => {
    const wrapped = withTracing(
      'processor',
      async () => 'served',
      ON,
      async () => {
        throw new Error("Cannot find package '@aws-lambda-powertools/tracer'");
      },
    );
    const original = console.error;
    console.error = () => {};
    try {
      assert.equal(await wrapped(), 'served');
      assert.equal(await wrapped(), 'served');
    } finally {
      console.error = original;
    }
  });
});
