/**
 * The real Powertools Tracer and X-Ray SDK, as on Lambda with active tracing: a Lambda-like environment
 * (`AWS_EXECUTION_ENV`, `LAMBDA_TASK_ROOT`, the invocation's `_X_AMZN_TRACE_ID`), a fake X-Ray daemon (the
 * UDP socket the SDK streams segments to) and a fake SQS endpoint that records the request headers. The
 * handler's subsegment and the SQS call's subsegment reach the daemon, and the SendMessage carries the trace
 * header SQS turns into the message's `AWSTraceHeader`: the link from the ingest's trace to the processor's.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../../lambdas/shared/aws-clients';
import { TRACING_ENV, withTracing } from '../../../lambdas/shared/tracing';

const TRACE_ROOT = '1-67500000-0123456789abcdef01234567';
const FACADE_PARENT = '53995c3f42cd8ad8';

interface SegmentDocument {
  readonly name: string;
  readonly trace_id?: string;
  readonly id: string;
  readonly parent_id?: string;
  readonly annotations?: Record<string, unknown>;
  readonly aws?: { readonly operation?: string };
}

describe('tracing on, with the real Powertools Tracer', () => {
  const documents: SegmentDocument[] = [];
  const sqsRequests: IncomingHttpHeaders[] = [];
  const daemon = createSocket('udp4');
  const sqs = createServer((request, response) => {
    sqsRequests.push(request.headers);
    request.resume();
    response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
    response.end(JSON.stringify({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'fake' }));
  });

  before(async () => {
    daemon.on('message', (packet) => {
      // Each datagram: a JSON header line, then one segment document.
      const [, body] = packet.toString().split('\n');
      if (body) documents.push(JSON.parse(body) as SegmentDocument);
    });
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => sqs.listen(0, '127.0.0.1', resolve));
    Object.assign(process.env, {
      [TRACING_ENV]: 'true',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      LAMBDA_TASK_ROOT: '/var/task',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      _X_AMZN_TRACE_ID: `Root=${TRACE_ROOT};Parent=${FACADE_PARENT};Sampled=1`,
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${(sqs.address() as AddressInfo).port}`,
    });
  });

  after(() => {
    daemon.close();
    sqs.close();
  });

  it('sends the handler and SDK subsegments to X-Ray and the trace header with SendMessage', async () => {
    // Made at module load, as the handlers' clients are: traced once the tracer has loaded.
    const client = createSqsClient({ connectionTimeoutMs: 1000, requestTimeoutMs: 2000, maxAttempts: 1 });
    const handler = withTracing('ingest', async () => {
      await client
        .send(
          new SendMessageCommand({ QueueUrl: 'https://sqs.us-east-1.amazonaws.com/1/q', MessageBody: 'x' }),
        )
        .catch(() => {});
      return { statusCode: 202 };
    });
    assert.deepEqual(await handler(), { statusCode: 202 });

    const deadline = Date.now() + 5000;
    while (documents.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const handlerSegment = documents.find((d) => d.name === '## ingest.handler');
    const sqsSegment = documents.find((d) => d.name === 'SQS');
    assert.ok(handlerSegment, `no handler subsegment in ${JSON.stringify(documents)}`);
    assert.ok(sqsSegment, `no SQS subsegment in ${JSON.stringify(documents)}`);
    assert.equal(handlerSegment.trace_id, TRACE_ROOT);
    assert.equal(handlerSegment.parent_id, FACADE_PARENT);
    assert.equal(handlerSegment.annotations?.ColdStart, true);
    assert.equal(handlerSegment.annotations?.Service, 'ingest');
    assert.equal(sqsSegment.aws?.operation, 'SendMessage');
    assert.equal(sqsSegment.parent_id, handlerSegment.id, 'the SDK call nests under the handler');

    const [request] = sqsRequests;
    assert.ok(request, 'SendMessage never reached the endpoint');
    const header = String(request['x-amzn-trace-id'] ?? '');
    assert.match(header, new RegExp(`Root=${TRACE_ROOT}`));
    assert.match(header, /Sampled=1/);
    assert.match(header, new RegExp(`Parent=${sqsSegment.id}`), 'the queue message links to this call');
  });
});
