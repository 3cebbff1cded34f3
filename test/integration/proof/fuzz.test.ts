/**
 * CI version of `npm run fuzz`: hostile requests against the real ingest handler must cause no crash, no
 * 5xx and no forgery. The second case is the deliberately broken build: a secret source that also trusts
 * an attacker's key must make the same checker report forgeries, proving it fails loudly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateAttackerSecrets, runFuzz } from '../../../bench/lib/fuzz-runner';
import { parseSecretString, type SecretSource } from '../../../lambdas/shared/secrets';
import { secretStringOf } from '../../../local/local-secrets';
import { useEmulators } from '../../support/emulators';

useEmulators();

describe('fuzz: the ingest handler under hostile requests', () => {
  it('answers 1,000 generated requests without a crash, a 5xx or an accepted forgery', async () => {
    const report = await runFuzz({ count: 1000, seed: 42 });
    assert.deepEqual(report.violations.samples, []);
    assert.equal(report.ok, true);
    assert.equal(report.queue.unsigned, 0);
    // The run really mixed attacks with authentic traffic.
    assert.ok((report.byCategory['wrong-secret']?.requests ?? 0) > 0);
    assert.ok((report.byCategory['tampered-body']?.requests ?? 0) > 0);
    assert.ok((report.byCategory.valid?.accepted ?? 0) > 0);
  });

  it('reports forgeries when a broken build also trusts the attacker key', async () => {
    const attacker = generateAttackerSecrets();
    const trustsAttacker = (real: SecretSource): SecretSource => ({
      async getActiveSecrets(secretId) {
        const sourceId = secretId.split('/').pop() ?? '';
        const entry = attacker.sources[sourceId];
        return [
          ...(await real.getActiveSecrets(secretId)),
          ...(entry ? parseSecretString(secretStringOf(entry)) : []),
        ];
      },
    });
    const report = await runFuzz({ count: 300, seed: 43, attacker, secrets: trustsAttacker });
    assert.equal(report.ok, false);
    assert.ok(
      (report.violations.byKind.forgery_accepted ?? 0) > 0,
      'forged requests answered 2xx are reported',
    );
    assert.ok(
      (report.violations.byKind.forgery_enqueued ?? 0) > 0,
      'forged messages on the queue are reported',
    );
  });
});
