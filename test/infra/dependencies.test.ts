/**
 * Toolchain currency: the Powertools packages the functions bundle come from one release (two copies of
 * `@aws-lambda-powertools/commons` in a bundle would keep two sets of its state and cost cold start).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../lib/webhook-pipeline';

const POWERTOOLS = '@aws-lambda-powertools/';

describe('Powertools versions', () => {
  it('pins every Powertools package to one exact version, and the lock holds that version only', () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    const declared = Object.entries({ ...pkg.dependencies, ...pkg.devDependencies }).filter(([name]) =>
      name.startsWith(POWERTOOLS),
    );
    assert.ok(declared.length >= 3, 'batch, logger and metrics are declared');
    const versions = new Set(declared.map(([, range]) => range));
    assert.equal(versions.size, 1, `declared: ${JSON.stringify(declared)}`);
    const [version] = versions;
    assert.match(
      version ?? '',
      /^\d+\.\d+\.\d+$/,
      'an exact version, so no package runs ahead of the others',
    );

    const lock = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };
    const installed = Object.entries(lock.packages)
      .filter(([path]) => path.split('node_modules/').at(-1)?.startsWith(POWERTOOLS))
      .map(([path, entry]) => `${path}@${entry.version}`);
    assert.ok(installed.some((p) => p.endsWith(`/commons@${version}`)));
    assert.deepEqual(
      installed.filter((p) => !p.endsWith(`@${version}`) || p.split('node_modules/').length > 2),
      [],
      'every Powertools package is installed once, at the pinned version',
    );
  });
});
