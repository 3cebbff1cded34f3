/**
 * Stable webhook URLs: a custom domain on both API Gateway front doors (regional, TLS 1.2, mapped at the
 * root so the URL is `https://<domain>/webhooks/<sourceId>`), the outputs that give it per source and the
 * DNS target, the optional Route 53 alias, cdk-nag, and the refusals (Function URL, wrong certificate
 * region when the stack pins one).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createApp } from '../../lib/app';
import { type CustomDomainConfig, type PipelineConfig, PipelineConfigError } from '../../lib/config';
import { WebhookPipeline } from '../../lib/webhook-pipeline';
import { STACK_OUTPUTS } from '../../lib/webhook-pipeline-stack';
import { synthesize, TEST_CONFIG, testAppProps } from './support';

const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';
const DOMAIN: CustomDomainConfig = { domainName: 'webhooks.example.com', certificateArn: CERTIFICATE_ARN };
const ZONE = { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' } as const;

const TYPES = {
  'http-api': {
    domain: 'AWS::ApiGatewayV2::DomainName',
    mapping: 'AWS::ApiGatewayV2::ApiMapping',
  },
  'rest-api': {
    domain: 'AWS::ApiGateway::DomainName',
    mapping: 'AWS::ApiGateway::BasePathMapping',
  },
} as const;

function withDomain(frontDoor: 'http-api' | 'rest-api', domain: CustomDomainConfig = DOMAIN): PipelineConfig {
  return { ...TEST_CONFIG, frontDoor, customDomain: domain };
}

for (const frontDoor of ['http-api', 'rest-api'] as const) {
  describe(`custom domain on the ${frontDoor} front door`, () => {
    const { template } = synthesize(withDomain(frontDoor));

    it('creates a regional TLS 1.2 domain name with the configured certificate', () => {
      template.resourceCountIs(TYPES[frontDoor].domain, 1);
      if (frontDoor === 'http-api') {
        template.hasResourceProperties(TYPES[frontDoor].domain, {
          DomainName: DOMAIN.domainName,
          DomainNameConfigurations: [
            { CertificateArn: CERTIFICATE_ARN, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' },
          ],
        });
      } else {
        template.hasResourceProperties(TYPES[frontDoor].domain, {
          DomainName: DOMAIN.domainName,
          RegionalCertificateArn: CERTIFICATE_ARN,
          EndpointConfiguration: { Types: ['REGIONAL'] },
          SecurityPolicy: 'TLS_1_2',
        });
      }
    });

    it('maps the API at the root of the domain (no mapping key: the URL is exactly the registered one)', () => {
      const mappings = Object.values(template.findResources(TYPES[frontDoor].mapping));
      assert.equal(mappings.length, 1);
      const props = mappings[0]?.Properties as Record<string, unknown>;
      assert.equal(props.ApiMappingKey, undefined);
      assert.equal(props.BasePath, undefined);
      if (frontDoor === 'http-api') {
        template.hasResourceProperties(TYPES[frontDoor].mapping, {
          ApiId: { Ref: Match.stringLikeRegexp('^IngestHttpApi') },
          Stage: '$default',
        });
        // The stage must exist before the mapping that names it.
        const mapping = Object.values(template.findResources(TYPES[frontDoor].mapping))[0];
        assert.ok(JSON.stringify(mapping?.DependsOn ?? []).includes('IngestDefaultStage'));
      } else {
        template.hasResourceProperties(TYPES[frontDoor].mapping, {
          RestApiId: { Ref: Match.stringLikeRegexp('^IngestRestApi') },
          Stage: { Ref: Match.stringLikeRegexp('^IngestRestApiDeploymentStageprod') },
        });
      }
    });

    it('outputs the custom-domain URL per source and the DNS target, keeping the execute-api outputs', () => {
      const outputs = template.toJSON().Outputs as Record<string, { Value: unknown; Description: string }>;
      assert.equal(outputs.CustomDomainUrlstripe?.Value, 'https://webhooks.example.com/webhooks/stripe');
      assert.equal(
        outputs.CustomDomainUrlgithubmain?.Value,
        'https://webhooks.example.com/webhooks/github-main',
      );
      assert.match(outputs.CustomDomainUrlstripe?.Description ?? '', /Register this URL/);
      assert.equal(outputs[STACK_OUTPUTS.customDomainBaseUrl]?.Value, 'https://webhooks.example.com/');
      const [domainId] = Object.keys(template.findResources(TYPES[frontDoor].domain));
      assert.deepEqual(outputs[STACK_OUTPUTS.customDomainTarget]?.Value, {
        'Fn::GetAtt': [domainId, 'RegionalDomainName'],
      });
      assert.deepEqual(outputs[STACK_OUTPUTS.customDomainHostedZoneId]?.Value, {
        'Fn::GetAtt': [domainId, 'RegionalHostedZoneId'],
      });
      // The existing names stay, still the execute-api URLs (the CLI smoke test calls them), and say
      // which URL to register instead.
      assert.match(JSON.stringify(outputs.WebhookUrlstripe?.Value), /execute-api/);
      assert.match(outputs.WebhookUrlstripe?.Description ?? '', /register CustomDomainUrlstripe/);
      assert.ok(outputs[STACK_OUTPUTS.webhookBaseUrl]);
    });

    it('creates no DNS record unless a hosted zone is given', () => {
      template.resourceCountIs('AWS::Route53::RecordSet', 0);
    });

    it('creates the alias A record in the given hosted zone', () => {
      const zoned = synthesize(withDomain(frontDoor, { ...DOMAIN, hostedZone: ZONE })).template;
      const [domainId] = Object.keys(zoned.findResources(TYPES[frontDoor].domain));
      zoned.hasResourceProperties('AWS::Route53::RecordSet', {
        HostedZoneId: ZONE.hostedZoneId,
        Name: 'webhooks.example.com.',
        Type: 'A',
        AliasTarget: {
          DNSName: { 'Fn::GetAtt': [domainId, 'RegionalDomainName'] },
          HostedZoneId: { 'Fn::GetAtt': [domainId, 'RegionalHostedZoneId'] },
        },
      });
    });

    it('passes every AwsSolutions rule', () => {
      const { app } = createApp({
        config: withDomain(frontDoor, { ...DOMAIN, hostedZone: ZONE }),
        appProps: testAppProps(),
      });
      const report = new AwsSolutionsChecks().validateScope(app);
      assert.deepEqual(
        report.violations.map((v) => v.ruleName),
        [],
      );
    });

    it('refuses a certificate from another region when the stack pins its region', () => {
      const app = new App(testAppProps());
      const stack = new Stack(app, 'Pinned', { env: { account: '123456789012', region: 'us-east-1' } });
      assert.throws(
        () => new WebhookPipeline(stack, 'Webhooks', withDomain(frontDoor)),
        (error: unknown) =>
          error instanceof PipelineConfigError &&
          error.problems.some((p) =>
            /certificateArn is in eu-west-1 but the stack deploys to us-east-1/.test(p),
          ),
      );
      // Another app: the failed one holds an empty stack, which CloudFormation validation refuses.
      const ok = new Stack(new App(testAppProps()), 'Same', {
        env: { account: '123456789012', region: 'eu-west-1' },
      });
      new WebhookPipeline(ok, 'Webhooks', withDomain(frontDoor));
      Template.fromStack(ok).resourceCountIs(TYPES[frontDoor].domain, 1);
    });
  });
}

describe('custom domain on the function-url front door', () => {
  it('is refused with the reason (a Function URL would need CloudFront)', () => {
    assert.throws(
      () => synthesize({ ...TEST_CONFIG, frontDoor: 'function-url', customDomain: DOMAIN }),
      (error: unknown) =>
        error instanceof PipelineConfigError &&
        error.problems.some((p) => /customDomain needs an API Gateway front door.*CloudFront/.test(p)),
    );
  });
});

describe('without a custom domain', () => {
  it('adds no domain resources and no custom-domain outputs', () => {
    const { template } = synthesize(TEST_CONFIG);
    template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
    template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 0);
    const outputs = Object.keys(template.toJSON().Outputs as object);
    assert.deepEqual(
      outputs.filter((o) => o.startsWith('CustomDomain')),
      [],
    );
  });
});
