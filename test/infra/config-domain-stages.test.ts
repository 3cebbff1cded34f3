/**
 * The validators of `customDomain` and of the stage map (lib/config.ts): every rule with its message,
 * and every declared stage of lib/pipeline-config.ts valid, so a typo in a stage fails CI before anyone
 * deploys it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CustomDomainConfig,
  isCustomDomainName,
  type PipelineConfig,
  PipelineConfigError,
  type StageDefinition,
  selectStage,
  stageMapProblems,
  validatePipelineConfig,
} from '../../lib/config';
import { DEFAULT_STAGE, stages } from '../../lib/pipeline-config';

const valid: PipelineConfig = {
  cdp: { baseUrl: 'https://api.example-cdp.com/public/v1' },
  sources: [{ id: 'stripe', provider: 'stripe' }],
};
const CERT = 'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';
const DOMAIN: CustomDomainConfig = { domainName: 'webhooks.example.com', certificateArn: CERT };

function domainProblems(
  domain: Partial<CustomDomainConfig>,
  change: Partial<PipelineConfig> = {},
  region?: string,
): string[] {
  return validatePipelineConfig(
    { ...valid, ...change, customDomain: { ...DOMAIN, ...domain } },
    region === undefined ? {} : { region },
  );
}

function assertRejects(problems: string[], pattern: RegExp): void {
  assert.ok(
    problems.some((p) => pattern.test(p)),
    `expected a problem matching ${pattern}, got: ${JSON.stringify(problems)}`,
  );
}

describe('customDomain validation', () => {
  it('accepts a host name with a same-region certificate on both API Gateway front doors', () => {
    assert.deepEqual(domainProblems({}), []);
    assert.deepEqual(domainProblems({}, { frontDoor: 'rest-api' }), []);
    assert.deepEqual(domainProblems({}, {}, 'eu-west-1'), []);
    assert.deepEqual(
      domainProblems({ hostedZone: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' } }),
      [],
    );
    // The zone apex itself may be the webhook host.
    assert.deepEqual(
      domainProblems({
        domainName: 'example.com',
        hostedZone: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' },
      }),
      [],
    );
  });

  it('refuses the function-url front door, naming CloudFront', () => {
    assertRejects(domainProblems({}, { frontDoor: 'function-url' }), /API Gateway front door.*CloudFront/);
  });

  it('refuses host names API Gateway would not take', () => {
    for (const name of [
      'localhost',
      '*.example.com',
      'Webhooks.Example.com',
      'webhooks.example.com.',
      'https://webhooks.example.com',
      'webhooks..example.com',
      '-bad.example.com',
      'bad-.example.com',
      '10.0.0.1',
      `${'a'.repeat(64)}.example.com`,
      `${'a.'.repeat(127)}com`,
    ]) {
      assert.equal(isCustomDomainName(name), false, name);
      assertRejects(
        domainProblems({ domainName: name }),
        /customDomain\.domainName .* must be a lower-case host name/,
      );
    }
    assert.equal(isCustomDomainName('xn--bcher-kva.example'), true);
  });

  it('refuses what is not an ACM certificate ARN', () => {
    for (const arn of [
      '',
      'arn:aws:iam::123456789012:server-certificate/x',
      'arn:aws:acm:eu-west-1:123456789012:certificate/not-an-id',
      'arn:aws:acm:eu-west-1:12345:certificate/12345678-1234-1234-1234-123456789012',
    ]) {
      assertRejects(domainProblems({ certificateArn: arn }), /certificateArn must be an ACM certificate ARN/);
    }
    assert.deepEqual(
      domainProblems({
        certificateArn:
          'arn:aws-cn:acm:cn-north-1:123456789012:certificate/12345678-1234-1234-1234-123456789012',
      }),
      [],
    );
  });

  it('refuses a certificate from another region than the stack (us-east-1 is for edge endpoints only)', () => {
    const usEast1 = 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';
    for (const frontDoor of ['http-api', 'rest-api'] as const) {
      assertRejects(
        domainProblems({ certificateArn: usEast1 }, { frontDoor }, 'eu-west-1'),
        /certificateArn is in us-east-1 but the stack deploys to eu-west-1/,
      );
    }
    // Unknown region (environment-agnostic stack): nothing to compare with.
    assert.deepEqual(domainProblems({ certificateArn: usEast1 }), []);
  });

  it('checks the hosted zone id and that the domain is inside the zone', () => {
    assertRejects(
      domainProblems({ hostedZone: { hostedZoneId: 'zone-1', zoneName: 'example.com' } }),
      /hostedZoneId must be a Route 53 hosted zone id/,
    );
    assertRejects(
      domainProblems({ hostedZone: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.org' } }),
      /is not inside customDomain\.hostedZone\.zoneName "example\.org"/,
    );
    // A suffix that is not a label boundary is not inside the zone.
    assertRejects(
      domainProblems({
        domainName: 'webhooks.notexample.com',
        hostedZone: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' },
      }),
      /is not inside/,
    );
    assertRejects(
      domainProblems({ hostedZone: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com.' } }),
      /zoneName must be a host name without a trailing dot/,
    );
  });

  it('lists every problem at once', () => {
    const problems = domainProblems(
      { domainName: 'bad_name', certificateArn: 'nope' },
      { frontDoor: 'function-url', logRetentionDays: 4 },
    );
    assertRejects(problems, /API Gateway front door/);
    assertRejects(problems, /domainName/);
    assertRejects(problems, /certificateArn/);
    assertRejects(problems, /logRetentionDays/);
  });
});

describe('stages', () => {
  it('declares a valid stage map whose every stage config passes the pipeline validator', () => {
    assert.deepEqual(stageMapProblems(stages), []);
    assert.ok(Object.hasOwn(stages, DEFAULT_STAGE));
    for (const [name, stage] of Object.entries(stages)) {
      assert.deepEqual(validatePipelineConfig(stage.config), [], `stage ${name}`);
    }
  });

  it('keeps the default stage on the stack name deployments already have', () => {
    assert.equal(selectStage(stages, DEFAULT_STAGE).stackName, 'WebhookPipeline');
  });

  it('names the declared stages when asked for an unknown one', () => {
    assert.throws(
      () => selectStage(stages, 'prdo'),
      (error: unknown) =>
        error instanceof PipelineConfigError &&
        error.problems.some((p) => p.includes('unknown stage "prdo": choose one of prod, dev')),
    );
    // Inherited object keys are not stages.
    assert.throws(() => selectStage(stages, 'constructor'), /unknown stage "constructor"/);
  });

  it('turns termination protection on for production stages unless the config says otherwise', () => {
    const config = valid;
    const map: Record<string, StageDefinition> = {
      prod: { stackName: 'P', production: true, config },
      test: { stackName: 'T', production: false, config },
      keep: { stackName: 'K', production: false, config: { ...config, terminationProtection: true } },
      gone: { stackName: 'G', production: true, config: { ...config, terminationProtection: false } },
    };
    assert.equal(selectStage(map, 'prod').config.terminationProtection, true);
    assert.equal(selectStage(map, 'test').config.terminationProtection, false);
    assert.equal(selectStage(map, 'keep').config.terminationProtection, true);
    assert.equal(selectStage(map, 'gone').config.terminationProtection, false);
  });

  it('rejects bad stage names, bad stack names and two stages sharing a stack', () => {
    const problems = stageMapProblems({
      Prod: { stackName: 'Same', production: true, config: valid },
      dev: { stackName: 'Same', production: false, config: valid },
      qa: { stackName: '1-bad_name', production: false, config: valid },
    });
    assertRejects(problems, /stage "Prod": name must be lower-case/);
    assertRejects(problems, /stage "dev": stackName "Same" is already used by stage "Prod"/);
    assertRejects(problems, /stage "qa": stackName "1-bad_name" must start with a letter/);
    assertRejects(stageMapProblems({}), /at least one stage/);
  });
});
