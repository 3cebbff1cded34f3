import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseSecretString } from '../../../lambdas/shared/secrets';
import { pipelineConfig } from '../../../lib/pipeline-config';
import {
  addMissingSources,
  ensureLocalSecretsFile,
  LocalSecretsError,
  readLocalSecrets,
  SECRETS_EXAMPLE_PATH,
  secretStringOf,
  signingKeyOf,
} from '../../../local/local-secrets';
import { LocalConfigError, startLocalPipeline } from '../../../local/pipeline';

describe('local secrets file', () => {
  const paths: string[] = [];
  const temp = () => {
    const path = join(tmpdir(), `secrets-${randomUUID()}.json`);
    paths.push(path);
    return path;
  };
  after(() => {
    for (const path of paths) rmSync(path, { force: true });
  });

  it('the committed example has a secret for every configured source and a CDP key', () => {
    const example = readLocalSecrets(SECRETS_EXAMPLE_PATH);
    assert.ok(example.cdpApiKey);
    for (const source of pipelineConfig.sources) assert.ok(example.sources[source.id], source.id);
    assert.match(example.sources.stripe?.secret ?? '', /^whsec_/);
    assert.match(example.sources.svix?.secret ?? '', /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.match(example.sources.sendgrid?.signingKey ?? '', /BEGIN PRIVATE KEY/);
  });

  it('is created from the example once, then left alone', () => {
    const path = temp();
    assert.equal(ensureLocalSecretsFile(path), true);
    assert.equal(readFileSync(path, 'utf8'), readFileSync(SECRETS_EXAMPLE_PATH, 'utf8'));
    writeFileSync(path, '{"cdpApiKey":"k","sources":{}}');
    assert.equal(ensureLocalSecretsFile(path), false);
    assert.equal(readFileSync(path, 'utf8'), '{"cdpApiKey":"k","sources":{}}');
  });

  it('adds generated secrets for sources it lacks and writes them back', () => {
    const path = temp();
    writeFileSync(path, '{"cdpApiKey":"k","sources":{"stripe":{"secret":"whsec_x"}}}');
    const { file, added } = addMissingSources(path, readLocalSecrets(path), [
      { id: 'stripe', provider: 'stripe' },
      { id: 'new-shop', provider: 'shopify' },
    ]);
    assert.deepEqual(added, ['new-shop']);
    assert.ok(file.sources['new-shop']?.secret);
    assert.deepEqual(readLocalSecrets(path).sources['new-shop'], file.sources['new-shop']);
  });

  it('stores a rotation as {"secrets": [...]} and signs with the newest', () => {
    const entry = { secrets: ['new', 'old'] };
    assert.deepEqual(parseSecretString(secretStringOf(entry)), ['new', 'old']);
    assert.equal(signingKeyOf(entry), 'new');
    assert.equal(signingKeyOf({ secret: 'pub', signingKey: 'priv' }), 'priv');
  });

  it('names the problem in a broken file', () => {
    const path = temp();
    writeFileSync(path, '{not json');
    assert.throws(
      () => readLocalSecrets(path),
      (e: Error) => e instanceof LocalSecretsError && /not valid JSON/.test(e.message),
    );
    writeFileSync(path, '{"cdpApiKey":"k","sources":{"stripe":{}}}');
    assert.throws(() => readLocalSecrets(path), /source "stripe" needs "secret"/);
  });

  it('local mode refuses an invalid configuration before starting anything', async () => {
    await assert.rejects(
      startLocalPipeline({ queue: { maxReceiveCount: 0 }, log: () => {} }),
      (e: Error) => e instanceof LocalConfigError && /maxReceiveCount/.test(e.message),
    );
  });
});
