/**
 * Safe upgrades: CloudFormation keys every resource by its logical id, and a changed id means "delete the
 * old resource, create a new one". For the resources below that is an outage or data loss, not a refactor:
 * so their ids are pinned to the values deployed stacks already carry. If a test here fails, the change
 * would REPLACE the resource on the next deploy. Keep the old id (construct id and path unchanged, or
 * `overrideLogicalId` on the new construct's default child) instead of updating the pin, unless a
 * replacement is really intended and planned (see README, Deploy: `npx cdk diff` before every upgrade).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { PipelineConfig } from '../../lib/config';
import { pipelineConfig } from '../../lib/pipeline-config';
import { synthesize } from './support';

interface Pin {
  readonly type: string;
  readonly logicalId: string;
  /** What a replacement would do to a running deployment. */
  readonly why: string;
}

const TABLE_WHY =
  'a new state table is empty: every dedupe record and entity guard is lost, so provider retries and redrives re-apply events (appends applied twice in the CDP)';
const SECRET_WHY =
  'a new secret gets a fresh random value: every provider signature fails (all deliveries refused) until each signing secret is copied in again';
const CDP_SECRET_WHY =
  'a new CDP API key secret gets a random value: every CDP write fails with 401 and events pile into the DLQ until the key is set again';
const BUCKET_WHY =
  'a new claim-check bucket is empty: queued and dead-lettered events larger than the threshold lose their bodies (unrecoverable)';
const QUEUE_WHY =
  'a new queue is empty: messages in flight in the old one are deleted with it (events lost after their 2xx), and the on-call CLI and alarms point elsewhere';
const DLQ_WHY =
  'a new dead-letter queue is empty: every dead-lettered event waiting for a redrive is deleted with the old queue';
const TOPIC_WHY =
  'a new alarm topic has no subscriptions: confirmed e-mail/pager subscriptions are lost and alarms reach nobody';
const API_WHY =
  'a new API gets a new id, so a new URL: every provider must be re-registered, and until then all deliveries go to a URL that no longer exists';
const STAGE_WHY =
  'the stage is part of the URL registered with providers; replacing it drops the deployed route configuration and throttling for the duration of the deploy';

const DOMAIN_WHY =
  'a new custom domain gets a new regional target name, so the DNS alias/CNAME the operator created points at nothing and every provider delivery fails until DNS is changed (and CloudFormation cannot create the new one while the old one holds the name: the deploy fails)';
const MAPPING_WHY =
  'the mapping connects the registered custom-domain URL to the API; replacing it leaves the URL unmapped (404 to every provider) during the deploy';
const ALIAS_WHY =
  'the alias record is what resolves the registered host name; replacing it deletes the record for a moment (DNS failures, cached negative answers)';

function secretPins(): Pin[] {
  const ids: Record<string, string> = {
    stripe: 'SecretsSourcestripe11D05728',
    shopify: 'SecretsSourceshopifyB3B0E258',
    github: 'SecretsSourcegithubF323296C',
    hubspot: 'SecretsSourcehubspotEFEC5456',
    segment: 'SecretsSourcesegment96D0F04E',
    klaviyo: 'SecretsSourceklaviyoE694A0E5',
    slack: 'SecretsSourceslackDEEF678A',
    twilio: 'SecretsSourcetwilio42335039',
    sendgrid: 'SecretsSourcesendgridB941191B',
    svix: 'SecretsSourcesvix43AE3245',
  };
  return [
    ...Object.values(ids).map((logicalId) => ({
      type: 'AWS::SecretsManager::Secret',
      logicalId,
      why: SECRET_WHY,
    })),
    { type: 'AWS::SecretsManager::Secret', logicalId: 'SecretsCdpApiKey52462D47', why: CDP_SECRET_WHY },
  ];
}

const COMMON_PINS: readonly Pin[] = [
  { type: 'AWS::DynamoDB::Table', logicalId: 'StateTable962DE04C', why: TABLE_WHY },
  { type: 'AWS::S3::Bucket', logicalId: 'ClaimCheckBucketB37857CA', why: BUCKET_WHY },
  { type: 'AWS::SQS::Queue', logicalId: 'QueuesQueueD811C857', why: QUEUE_WHY },
  { type: 'AWS::SQS::Queue', logicalId: 'QueuesDeadLetterQueue82AA3FB7', why: DLQ_WHY },
  { type: 'AWS::SNS::Topic', logicalId: 'MonitoringAlarmTopicAF62D4F1', why: TOPIC_WHY },
  ...secretPins(),
];

const FRONT_DOOR_PINS: Record<'http-api' | 'rest-api', readonly Pin[]> = {
  'http-api': [
    { type: 'AWS::ApiGatewayV2::Api', logicalId: 'IngestHttpApiCFD19791', why: API_WHY },
    { type: 'AWS::ApiGatewayV2::Stage', logicalId: 'IngestDefaultStage246F6BE2', why: STAGE_WHY },
  ],
  'rest-api': [
    { type: 'AWS::ApiGateway::RestApi', logicalId: 'IngestRestApi50082B87', why: API_WHY },
    {
      type: 'AWS::ApiGateway::Stage',
      logicalId: 'IngestRestApiDeploymentStageprod820EA405',
      why: STAGE_WHY,
    },
  ],
};

const CUSTOM_DOMAIN_PINS: Record<'http-api' | 'rest-api', readonly Pin[]> = {
  'http-api': [
    { type: 'AWS::ApiGatewayV2::DomainName', logicalId: 'IngestCustomDomain52FEFBAB', why: DOMAIN_WHY },
    {
      type: 'AWS::ApiGatewayV2::ApiMapping',
      logicalId: 'IngestCustomDomainMapping23ECF5D5',
      why: MAPPING_WHY,
    },
    { type: 'AWS::Route53::RecordSet', logicalId: 'IngestCustomDomainAlias1D4E60DD', why: ALIAS_WHY },
  ],
  'rest-api': [
    { type: 'AWS::ApiGateway::DomainName', logicalId: 'IngestCustomDomain52FEFBAB', why: DOMAIN_WHY },
    {
      type: 'AWS::ApiGateway::BasePathMapping',
      logicalId: 'IngestCustomDomainMapping23ECF5D5',
      why: MAPPING_WHY,
    },
    { type: 'AWS::Route53::RecordSet', logicalId: 'IngestCustomDomainAlias1D4E60DD', why: ALIAS_WHY },
  ],
};

/** Every pinned id must be present with its type; names the ids now in the template when one is not. */
function assertPinned(resources: Record<string, { Type: string }>, pins: readonly Pin[]): void {
  for (const pin of pins) {
    const found = resources[pin.logicalId];
    if (found?.Type === pin.type) continue;
    const pinnedOfType = new Set(pins.filter((p) => p.type === pin.type).map((p) => p.logicalId));
    const unpinned = Object.entries(resources)
      .filter(([id, r]) => r.Type === pin.type && !pinnedOfType.has(id))
      .map(([id]) => id);
    assert.fail(
      `${pin.type} ${pin.logicalId} is no longer in the template` +
        (unpinned.length > 0 ? ` (new id(s) of that type: ${unpinned.join(', ')})` : '') +
        `. Deploying this would REPLACE it: ${pin.why}. Keep the logical id (same construct path, or ` +
        'overrideLogicalId) rather than updating this pin.',
    );
  }
}

for (const frontDoor of ['http-api', 'rest-api'] as const) {
  describe(`logical ids of stateful and externally registered resources (${frontDoor}, default config)`, () => {
    let resources: Record<string, { Type: string }>;
    before(() => {
      const config: PipelineConfig = { ...pipelineConfig, frontDoor };
      resources = synthesize(config).template.toJSON().Resources;
    });

    it('keeps the state table, secrets, claim-check bucket, queues and alarm topic', () => {
      assertPinned(resources, COMMON_PINS);
    });

    it('keeps the API and its stage (the URL registered with every provider)', () => {
      assertPinned(resources, FRONT_DOOR_PINS[frontDoor]);
    });

    it('pins every secret, table, bucket and queue the stack has (a new one must be pinned here too)', () => {
      const pinned = new Set(COMMON_PINS.map((p) => p.logicalId));
      const stateful = Object.entries(resources)
        .filter(([, r]) =>
          [
            'AWS::DynamoDB::Table',
            'AWS::S3::Bucket',
            'AWS::SQS::Queue',
            'AWS::SecretsManager::Secret',
          ].includes(r.Type),
        )
        .map(([id]) => id);
      assert.deepEqual(
        stateful.filter((id) => !pinned.has(id)),
        [],
        'stateful resources without a pinned logical id: add them to COMMON_PINS with why a replacement hurts',
      );
    });
  });
}

for (const frontDoor of ['http-api', 'rest-api'] as const) {
  describe(`logical ids of the custom domain (${frontDoor})`, () => {
    it('keeps the domain name, its API mapping and its alias record (the URL registered with providers)', () => {
      const config: PipelineConfig = {
        ...pipelineConfig,
        frontDoor,
        customDomain: {
          domainName: 'webhooks.example.com',
          certificateArn:
            'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012',
          hostedZone: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' },
        },
      };
      const resources = synthesize(config).template.toJSON().Resources;
      assertPinned(resources, [
        ...COMMON_PINS,
        ...FRONT_DOOR_PINS[frontDoor],
        ...CUSTOM_DOMAIN_PINS[frontDoor],
      ]);
    });
  });
}
