/**
 * Code splitting in the house bundle (lib/constructs/house-bundle.ts): a module the handler loads with a
 * dynamic `import()` is a chunk of its own, and an error thrown in it still maps to its TypeScript source
 * under production's `--enable-source-maps` (every output file has its own source map).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { BUNDLE_FILE, houseEsbuildOptions } from '../../lib/constructs/house-bundle';
import { HOUSE_NODE_OPTIONS } from '../../lib/constructs/webhook-function';

describe('house bundle with code splitting', () => {
  const root = mkdtempSync(join(tmpdir(), 'house-splitting-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('maps a stack trace from a lazily loaded chunk to its .ts source', () => {
    writeFileSync(
      join(root, 'handler.ts'),
      [
        'export async function handler(): Promise<string> {',
        "  const { rarely } = await import('./rare-path');",
        '  return rarely(42);',
        '}',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(root, 'rare-path.ts'),
      [
        '// Only a rare request loads this module.',
        'export function rarely(n: number): string {',
        "  throw new Error('thrown in the chunk ' + String(n));",
        '}',
        '',
      ].join('\n'),
    );
    const outdir = join(root, 'out');
    buildSync(houseEsbuildOptions(join(root, 'handler.ts'), outdir, root));
    const chunks = readdirSync(join(outdir, 'chunks')).filter((f) => f.endsWith('.mjs'));
    assert.equal(chunks.length, 1, `one chunk: ${chunks.join(', ')}`);
    assert.match(chunks[0] ?? '', /^rare-path-[A-Z0-9]+\.mjs$/);

    const script = `import(${JSON.stringify(pathToFileURL(join(outdir, BUNDLE_FILE)).href)})
      .then((m) => m.handler()).catch((e) => { console.log(e.stack); });`;
    const run = (nodeOptions: string) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: nodeOptions },
        encoding: 'utf8',
      });
    const mapped = run(HOUSE_NODE_OPTIONS);
    assert.equal(mapped.status, 0, mapped.stderr);
    const frame = mapped.stdout.split('\n').find((line) => line.trim().startsWith('at '));
    assert.match(mapped.stdout, /thrown in the chunk 42/);
    assert.match(frame ?? '', /rare-path\.ts:3:\d+/, mapped.stdout);
    // Without the flag the same frame names the minified chunk: the mapping comes from its own .map file.
    const raw = run('');
    assert.match(
      raw.stdout.split('\n').find((line) => line.trim().startsWith('at ')) ?? '',
      /chunks\/rare-path-/,
    );
  });
});
