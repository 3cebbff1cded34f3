import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createIpAllowlist, InvalidCidrError } from '../../lambdas/ingest/cidr';
import { QUEUE_DEFAULTS, STATE_TABLE } from '../../lambdas/shared/schema';
import { parseSources } from '../../lambdas/shared/source-config';
import {
  type PipelineConfig,
  PipelineConfigError,
  resolvePipelineConfig,
  type SourceDefinition,
  validatePipelineConfig,
} from '../../lib/config';
import { pipelineConfig } from '../../lib/pipeline-config';
import {
  localResourceDefinitions,
  resourceDefinitions,
  runtimeSources,
} from '../../lib/resource-definitions';

const valid: PipelineConfig = {
  cdp: { baseUrl: 'https://api.example-cdp.com/public/v1' },
  sources: [{ id: 'stripe', provider: 'stripe' }],
};

function problemsOf(change: Partial<PipelineConfig>): string[] {
  return validatePipelineConfig({ ...valid, ...change });
}

function withSource(source: Partial<SourceDefinition>): string[] {
  return problemsOf({ sources: [{ id: 'stripe', provider: 'stripe', ...source }] });
}

function assertRejects(problems: string[], pattern: RegExp): void {
  assert.ok(
    problems.some((p) => pattern.test(p)),
    `expected a problem matching ${pattern}, got: ${JSON.stringify(problems)}`,
  );
}

describe('validatePipelineConfig', () => {
  it('accepts the declared operator configuration and the minimal one', () => {
    assert.deepEqual(validatePipelineConfig(pipelineConfig), []);
    assert.deepEqual(validatePipelineConfig(valid), []);
  });

  it('rejects an empty source list', () => {
    assertRejects(problemsOf({ sources: [] }), /at least one source/);
  });

  it('rejects source ids that are not URL-safe lower-case', () => {
    assertRejects(withSource({ id: 'Stripe_Live' }), /id must be lower-case/);
  });

  it('rejects duplicate source ids', () => {
    const problems = problemsOf({
      sources: [
        { id: 'stripe', provider: 'stripe' },
        { id: 'stripe', provider: 'stripe' },
      ],
    });
    assertRejects(problems, /declared more than once/);
  });

  it('rejects ids that collide once dashes are removed (stack output names)', () => {
    const problems = problemsOf({
      sources: [
        { id: 'shop-a', provider: 'shopify' },
        { id: 'shopa', provider: 'shopify' },
      ],
    });
    assertRejects(problems, /clashes with source "shop-a"/);
  });

  it('rejects an existingSecretArn that is not a Secrets Manager ARN', () => {
    assertRejects(withSource({ existingSecretArn: 'arn:aws:s3:::bucket' }), /existingSecretArn/);
  });

  it('rejects a dedupe TTL that is not a positive whole number of hours', () => {
    assertRejects(withSource({ dedupeTtlHours: 0 }), /dedupeTtlHours/);
    assertRejects(withSource({ dedupeTtlHours: 1.5 }), /dedupeTtlHours/);
  });

  it('rejects a body limit above what Lambda can receive', () => {
    assertRejects(withSource({ maxBodyBytes: 6 * 1024 * 1024 }), /maxBodyBytes/);
  });

  it('rejects an out-of-range replay tolerance', () => {
    assertRejects(withSource({ toleranceSeconds: -1 }), /toleranceSeconds/);
  });

  it('rejects source CIDR allowlist entries that are not CIDR blocks', () => {
    assertRejects(
      withSource({ allowedCidrs: ['10.0.0.0/8', '10.0.0.300/32'] }),
      /"10.0.0.300\/32" is not a CIDR/,
    );
    assert.deepEqual(withSource({ allowedCidrs: ['10.0.0.0/8', '2001:db8::/32'] }), []);
  });

  it('judges source CIDRs exactly as the ingest function does (one validator: lambdas/ingest/cidr.ts)', () => {
    // Accepted by the old synth-time check, refused by the function: they would have failed every source.
    for (const cidr of ['2001:db8:1:2:3:4:5:6:7/64', ':/64', '10.0.0.0/33', '10.0.0.0/', '1.2.3.4/8/8']) {
      assertRejects(withSource({ allowedCidrs: [cidr] }), /is not a CIDR block/);
      assert.throws(() => createIpAllowlist([cidr]), InvalidCidrError, cidr);
    }
    // Refused by the old check, accepted by the function: a bare address is a /32 or /128 there.
    for (const cidr of ['198.51.100.7', '2001:db8::1', '::ffff:198.51.100.7/32', ' 10.0.0.0/8 ']) {
      assert.deepEqual(withSource({ allowedCidrs: [cidr] }), [], cidr);
      assert.doesNotThrow(() => createIpAllowlist([cidr]), cidr);
    }
  });

  it('rejects a non-https publicUrl', () => {
    assertRejects(withSource({ publicUrl: 'http://example.com/webhooks/stripe' }), /publicUrl/);
  });

  it('rejects a publicUrl carrying a query string (signed material must come from each request)', () => {
    assertRejects(
      withSource({ publicUrl: 'https://hooks.example.com/webhooks/stripe?token=abc' }),
      /query string/,
    );
  });

  it('rejects an unknown provider', () => {
    assertRejects(withSource({ provider: 'nope' as SourceDefinition['provider'] }), /unknown provider/);
  });

  it("runs the provider scheme's own option checks (generic HMAC without a header)", () => {
    const problems = problemsOf({ sources: [{ id: 'acme', provider: 'generic-hmac', options: {} }] });
    assert.ok(
      problems.some((p) => p.startsWith('source "acme":')),
      JSON.stringify(problems),
    );
  });

  it('rejects silence windows the alarm cannot evaluate', () => {
    assertRejects(withSource({ expectEventsWithinMinutes: 7 }), /multiple of 5/);
    assertRejects(withSource({ expectEventsWithinMinutes: 240 }), /3 hours/);
  });

  it('rejects more sources than fit the Lambda environment', () => {
    const sources = Array.from({ length: 40 }, (_, i) => ({
      id: `source-${i}`,
      provider: 'github' as const,
    }));
    assertRejects(problemsOf({ sources }), /PIPELINE_SOURCES/);
  });

  it('accepts the Function URL front door, without API Gateway throttling or WAF settings', () => {
    assert.deepEqual(problemsOf({ frontDoor: 'function-url' }), []);
    assertRejects(
      problemsOf({ frontDoor: 'function-url', throttling: { rateLimit: 50 } }),
      /throttling applies to the API Gateway front doors/,
    );
    assertRejects(
      problemsOf({ frontDoor: 'function-url', waf: { rateLimitPer5Minutes: 1000 } }),
      /waf applies only to frontDoor 'rest-api'/,
    );
  });

  it('rejects an unknown front door', () => {
    assertRejects(problemsOf({ frontDoor: 'alb' as unknown as 'http-api' }), /frontDoor must be/);
  });

  it('rejects a non-https CDP URL and a malformed CDP secret ARN', () => {
    assertRejects(problemsOf({ cdp: { baseUrl: 'http://cdp.local' } }), /cdp.baseUrl/);
    assertRejects(
      problemsOf({ cdp: { baseUrl: valid.cdp.baseUrl, existingApiKeySecretArn: 'cdp-key' } }),
      /existingApiKeySecretArn/,
    );
  });

  it('rejects non-positive throttling', () => {
    assertRejects(problemsOf({ throttling: { rateLimit: 0 } }), /throttling.rateLimit/);
    assertRejects(problemsOf({ throttling: { burstLimit: 2.5 } }), /throttling.burstLimit/);
  });

  it('rejects WAF settings with the HTTP API (WAF cannot attach to it)', () => {
    assertRejects(
      problemsOf({ waf: { rateLimitPer5Minutes: 1000 } }),
      /waf applies only to frontDoor 'rest-api'/,
    );
    assert.deepEqual(problemsOf({ frontDoor: 'rest-api', waf: { rateLimitPer5Minutes: 1000 } }), []);
  });

  it('rejects an out-of-range WAF rate limit and malformed allowlist CIDRs', () => {
    assertRejects(
      problemsOf({ frontDoor: 'rest-api', waf: { rateLimitPer5Minutes: 5 } }),
      /rateLimitPer5Minutes/,
    );
    assertRejects(problemsOf({ frontDoor: 'rest-api', waf: { allowedCidrs: ['1.2.3.4'] } }), /not a CIDR/);
    // WAF IP sets take what the runtime parser takes, in WAF's notation: an explicit prefix of 1 or more.
    for (const cidr of [
      '2001:db8:1:2:3:4:5:6:7/64',
      ':/64',
      '0.0.0.0/0',
      ' 10.0.0.0/8',
      '::ffff:1.2.3.4/32',
    ]) {
      assertRejects(problemsOf({ frontDoor: 'rest-api', waf: { allowedCidrs: [cidr] } }), /not a CIDR/);
    }
    assert.deepEqual(
      problemsOf({ frontDoor: 'rest-api', waf: { allowedCidrs: ['192.0.2.0/24', '2001:db8::/32'] } }),
      [],
    );
  });

  it('rejects a visibility timeout under 6x the processor timeout', () => {
    assertRejects(
      problemsOf({ queue: { processorTimeoutSeconds: 60, visibilityTimeoutSeconds: 300 } }),
      /at least 6x the processor timeout \(360\)/,
    );
  });

  it('rejects a processor timeout above the Lambda maximum', () => {
    assertRejects(problemsOf({ queue: { processorTimeoutSeconds: 901 } }), /processorTimeoutSeconds/);
  });

  it('rejects a maxReceiveCount outside 1-1000', () => {
    assertRejects(problemsOf({ queue: { maxReceiveCount: 0 } }), /maxReceiveCount/);
  });

  it('rejects batch sizes above 10 without a batching window', () => {
    assertRejects(
      problemsOf({ queue: { batchSize: 50, maxBatchingWindowSeconds: 0 } }),
      /batchSize above 10 requires/,
    );
    assertRejects(problemsOf({ queue: { batchSize: 20_000 } }), /queue.batchSize/);
  });

  it('rejects a batching window above 300 s', () => {
    assertRejects(problemsOf({ queue: { maxBatchingWindowSeconds: 301 } }), /maxBatchingWindowSeconds/);
  });

  it('rejects a maximum concurrency the event source mapping does not allow', () => {
    assertRejects(problemsOf({ queue: { maxConcurrency: 1 } }), /maxConcurrency/);
  });

  it('rejects a DLQ retention not longer than the main queue retention', () => {
    assertRejects(
      problemsOf({ queue: { mainRetentionDays: 14, dlqRetentionDays: 14 } }),
      /dlqRetentionDays must be longer/,
    );
    assertRejects(problemsOf({ queue: { dlqRetentionDays: 15 } }), /dlqRetentionDays must be a whole number/);
    assertRejects(problemsOf({ queue: { mainRetentionDays: 0 } }), /mainRetentionDays must be/);
  });

  it('rejects a main retention too short for every receive', () => {
    assertRejects(
      problemsOf({
        queue: {
          mainRetentionDays: 1,
          visibilityTimeoutSeconds: 43_200,
          processorTimeoutSeconds: 900,
          maxReceiveCount: 5,
        },
      }),
      /too short for maxReceiveCount/,
    );
  });

  it('rejects a main retention a message could outlive while every receive waits out a long Retry-After', () => {
    // 12 receives x 12 h = 6 days, plus a day of backlog: 4 days (the old default) would let a message
    // expire on the main queue instead of reaching the DLQ.
    assertRejects(problemsOf({ queue: { mainRetentionDays: 4 } }), /too short for maxReceiveCount/);
    assert.deepEqual(problemsOf({ queue: { mainRetentionDays: 7 } }), []);
    assert.deepEqual(problemsOf({ queue: { maxReceiveCount: 1, mainRetentionDays: 2 } }), []);
  });

  it('rejects a visibility timeout that leaves the backoff no room under SQS 12-hour limit', () => {
    assertRejects(
      problemsOf({ queue: { visibilityTimeoutSeconds: 43_000 } }),
      /visibilityTimeoutSeconds must leave room/,
    );
  });

  it('rejects a claim-check threshold whose base64 body would not fit an SQS message', () => {
    assertRejects(
      problemsOf({ queue: { claimCheckThresholdBytes: 1024 * 1024 } }),
      /claimCheckThresholdBytes/,
    );
  });

  it('rejects claim-check objects expiring before DLQ messages', () => {
    assertRejects(
      problemsOf({ queue: { claimCheckExpirationDays: 14 } }),
      /claimCheckExpirationDays must be longer/,
    );
    assertRejects(
      problemsOf({ queue: { claimCheckExpirationDays: 0 } }),
      /claimCheckExpirationDays must be a whole/,
    );
  });

  it('rejects a malformed alarm e-mail and non-positive thresholds', () => {
    assertRejects(problemsOf({ alarms: { email: 'oncall' } }), /alarms.email/);
    assertRejects(problemsOf({ alarms: { rejectionsPer5Minutes: 0 } }), /alarms.rejectionsPer5Minutes/);
    assertRejects(problemsOf({ alarms: { oldestMessageAgeSeconds: -5 } }), /alarms.oldestMessageAgeSeconds/);
  });

  it('rejects a log retention CloudWatch does not offer', () => {
    assertRejects(problemsOf({ logRetentionDays: 31 }), /logRetentionDays must be one of/);
  });

  it('lists every problem at once when resolving', () => {
    assert.throws(
      () => resolvePipelineConfig({ ...valid, sources: [], logRetentionDays: 2 }),
      (error: unknown) =>
        error instanceof PipelineConfigError &&
        error.problems.length === 2 &&
        /at least one source/.test(error.message) &&
        /logRetentionDays/.test(error.message),
    );
  });
});

describe('resolvePipelineConfig defaults', () => {
  it('applies secure, documented defaults', () => {
    const resolved = resolvePipelineConfig(valid);
    assert.equal(resolved.frontDoor, 'http-api');
    assert.equal(resolved.waf, undefined);
    assert.deepEqual(resolved.throttling, { rateLimit: 100, burstLimit: 200 });
    assert.equal(resolved.queue.visibilityTimeoutSeconds, QUEUE_DEFAULTS.processorTimeoutSeconds * 6);
    assert.equal(resolved.queue.claimCheckExpirationDays, QUEUE_DEFAULTS.dlqRetentionDays + 1);
    assert.equal(resolved.logRetentionDays, 30);
    assert.equal(resolved.retainDataOnDelete, true);
    assert.equal(resolved.alarms.email, undefined);
  });

  it('defaults the WAF settings only for the REST API', () => {
    const resolved = resolvePipelineConfig({ ...valid, frontDoor: 'rest-api' });
    assert.deepEqual(resolved.waf, { rateLimitPer5Minutes: 10_000, allowedCidrs: [] });
  });
});

describe('resource definitions shared with local mode', () => {
  it('derives queue, DLQ, table, bucket and batching settings from the same inputs', () => {
    const defs = localResourceDefinitions(valid);
    assert.equal(defs.queue.visibilityTimeoutSeconds, 180);
    assert.equal(defs.queue.retentionSeconds, QUEUE_DEFAULTS.mainRetentionDays * 86_400);
    assert.equal(defs.deadLetterQueue.retentionSeconds, 14 * 86_400);
    assert.equal(defs.deadLetterQueue.maxReceiveCount, QUEUE_DEFAULTS.maxReceiveCount);
    assert.equal(defs.stateTable.ttlAttribute, STATE_TABLE.ttlAttribute);
    assert.equal(defs.stateTable.partitionKey, STATE_TABLE.partitionKey);
    assert.equal(defs.claimCheckBucket.thresholdBytes, QUEUE_DEFAULTS.claimCheckThresholdBytes);
    assert.deepEqual(defs.eventSourceMapping, {
      batchSize: QUEUE_DEFAULTS.batchSize,
      maxBatchingWindowSeconds: QUEUE_DEFAULTS.maxBatchingWindowSeconds,
      maxConcurrency: QUEUE_DEFAULTS.maxConcurrency,
      reportBatchItemFailures: true,
    });
    assert.equal(defs.queue.localName, 'webhook-pipeline-queue');
    assert.equal(localResourceDefinitions(valid, 'dev').deadLetterQueue.localName, 'dev-dlq');
  });

  it('follows overrides exactly as the stack does', () => {
    const resolved = resolvePipelineConfig({
      ...valid,
      queue: { processorTimeoutSeconds: 60, maxReceiveCount: 3 },
    });
    const defs = resourceDefinitions(resolved);
    assert.equal(defs.queue.visibilityTimeoutSeconds, 360);
    assert.equal(defs.processorFunction.timeoutSeconds, 60);
    assert.equal(defs.deadLetterQueue.maxReceiveCount, 3);
  });

  it('rejects an invalid configuration in local mode too', () => {
    assert.throws(() => localResourceDefinitions({ ...valid, sources: [] }), PipelineConfigError);
  });

  it('builds a PIPELINE_SOURCES value the functions accept, without deployment-only fields', () => {
    const sources = runtimeSources(
      [{ id: 'stripe', provider: 'stripe', existingSecretArn: 'arn:x', expectEventsWithinMinutes: 60 }],
      (s) => `secret-${s.id}`,
    );
    assert.deepEqual(sources, [{ id: 'stripe', provider: 'stripe', secretId: 'secret-stripe' }]);
    assert.equal(parseSources(JSON.stringify(sources)).get('stripe')?.secretId, 'secret-stripe');
  });
});
