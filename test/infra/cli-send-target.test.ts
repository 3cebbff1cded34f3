/**
 * `webhooks send --stack` reads each source's provider, URL and secret back from the deployed stack. This
 * runs that reading on the synthesized template (no AWS): the `PIPELINE_SOURCES` the functions get, and
 * the output keys the stack writes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outputKeyFor, sourcesFromTemplate } from '../../cli/send';
import { EXISTING_SECRET_ARN, logicalIdOf, synthesize, TEST_CONFIG } from './support';

describe('webhooks send: sources read back from the template', () => {
  const config = {
    ...TEST_CONFIG,
    sources: [
      ...TEST_CONFIG.sources,
      { id: 'twilio-sms', provider: 'twilio', publicUrl: 'https://hooks.example.com/webhooks/twilio-sms' },
    ],
  } as typeof TEST_CONFIG;
  const { template } = synthesize(config);
  const json = template.toJSON() as { Outputs: Record<string, unknown> };

  it('finds every source with its provider, its secret (created: by logical id; existing: by ARN) and its public URL', () => {
    const sources = sourcesFromTemplate(JSON.stringify(json));
    assert.deepEqual(
      sources.map((s) => s.id),
      ['stripe', 'github-main', 'twilio-sms'],
    );
    const stripe = sources.find((s) => s.id === 'stripe');
    assert.equal(stripe?.provider, 'stripe');
    assert.equal(
      stripe?.secretRef,
      logicalIdOf(template, 'AWS::SecretsManager::Secret', 'SecretsSourcestripe'),
    );
    assert.equal(sources.find((s) => s.id === 'github-main')?.secretId, EXISTING_SECRET_ARN);
    assert.equal(
      sources.find((s) => s.id === 'twilio-sms')?.publicUrl,
      'https://hooks.example.com/webhooks/twilio-sms',
    );
  });

  it('looks up the URL and secret outputs under the keys the stack writes', () => {
    for (const source of config.sources) {
      assert.ok(json.Outputs[outputKeyFor('WebhookUrl', source.id)], `WebhookUrl output of ${source.id}`);
      assert.ok(json.Outputs[outputKeyFor('SecretArn', source.id)], `SecretArn output of ${source.id}`);
    }
  });
});
