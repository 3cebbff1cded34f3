/**
 * Comments, docs and messages name repository files (`lambdas/ingest/handler.ts`, `test/…`, `docs/…`): each
 * named file must exist, so a rename or a removed doc cannot leave readers a dead pointer. Relative import
 * specifiers (`../lib/x`) are the compiler's business and are not checked here.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SCANNED = [
  'lambdas',
  'lib',
  'cli',
  'local',
  'scripts',
  'bench',
  'bin',
  'test',
  'README.md',
  'CHANGELOG.md',
];
/** A repo-relative path with an extension, not part of a longer path (`dist/lib/…`, `../lib/…`, `@scope/…`). */
const REFERENCE =
  /(?<![\w./@-])((?:lambdas|lib|cli|local|scripts|bench|bin|test|docs)\/[\w./-]*\.(?:ts|mjs|js|md|json|java|ya?ml))(?![\w/])/g;
/** Paths that name another project's files, by the file that cites them. */
const EXTERNAL: Readonly<Record<string, readonly string[]>> = {
  // A file of Square's SDK repository, cited as the source of a signed test vector.
  'scripts/sign-delivery-corpus.ts': ['test/utilities/webhooksHelper.test.ts'],
};

/**
 * Files the tools write when they run (ignored by git, so absent from a clean clone): named, but not
 * expected to exist. Kept in step with .gitignore by the check below.
 */
const GENERATED = ['local/secrets.local.json'];

function files(path: string, found: string[] = []): string[] {
  const absolute = join(ROOT, path);
  if (!existsSync(absolute)) return found;
  if (statSync(absolute).isFile()) {
    if (/\.(ts|mjs|md)$/.test(path)) found.push(path);
    return found;
  }
  for (const entry of readdirSync(absolute)) {
    // Fixtures are provider payloads, not prose about this repository.
    if (entry === 'node_modules' || entry === 'fixtures') continue;
    files(join(path, entry), found);
  }
  return found;
}

describe('file references in comments, docs and messages', () => {
  it('every repository path named in the sources and docs exists', () => {
    // This file's own examples name missing files on purpose.
    const self = relative(ROOT, import.meta.filename);
    const scanned = SCANNED.flatMap((root) => files(root)).filter((file) => file !== self);
    assert.ok(scanned.length > 100, `only ${scanned.length} files scanned: is ROOT right?`);
    const missing: string[] = [];
    for (const file of scanned) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const match of text.matchAll(REFERENCE)) {
        const path = match[1] ?? '';
        if (EXTERNAL[file]?.includes(path) || GENERATED.includes(path)) continue;
        if (!existsSync(join(ROOT, path))) missing.push(`${file}: ${path}`);
      }
    }
    assert.deepEqual(missing, [], `named files that do not exist:\n${missing.join('\n')}`);
  });

  it('names as generated only files git ignores', () => {
    const ignored = readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n');
    for (const path of GENERATED) assert.ok(ignored.includes(path), `${path} is not in .gitignore`);
  });

  it('catches a dead reference (the pattern is not vacuous)', () => {
    const sample =
      'see docs/runbook.md and `lambdas/ingest/handler.ts`, not ../lib/config.ts or dist/lib/x.js';
    assert.deepEqual(
      [...sample.matchAll(REFERENCE)].map((m) => m[1]),
      ['docs/runbook.md', 'lambdas/ingest/handler.ts'],
    );
  });
});
