/**
 * Bundles an entry exactly as the CDK house function does: the same esbuild options
 * (lib/constructs/house-bundle.ts: ESM, minified, source maps, AWS SDK bundled, code splitting). Benchmarks
 * measure that artifact, not the tsx-compiled sources the tests run: tsx keeps function names (a
 * `defineProperty` per closure created), which the shipped bundle does not pay.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { BUNDLE_FILE, type HouseBundleVariant, houseEsbuildOptions } from '../../lib/constructs/house-bundle';

/** An entry file, or TypeScript source resolved from the repository root. */
export type BundleEntry = { readonly path: string } | { readonly source: string };

/** A bundle folder and what of it a fresh process loads. */
export interface LambdaBundle {
  /** The entry file (`index.mjs` in the folder): what Lambda's handler setting names. */
  readonly entry: string;
  /** Bytes of the entry file alone. */
  readonly entryBytes: number;
  /**
   * Bytes a fresh process parses on import: the entry file and every chunk it imports statically,
   * transitively (code shared with lazily loaded modules sits in such chunks).
   */
  readonly startBytes: number;
  /** The same files gzipped one by one, summed. */
  readonly startGzipBytes: number;
  /**
   * Bytes of the chunks only a dynamic `import()` loads (the S3 client for claim-checked bodies, the SDK's
   * credential providers a Lambda function with environment credentials never reaches).
   */
  readonly lazyBytes: number;
}

/** What {@link bundleLikeLambda} builds into `outdir`, read from esbuild's metafile. */
export function bundleFiles(metafile: Metafile, root: string, outdir: string): LambdaBundle {
  const outputs = new Map(
    Object.entries(metafile.outputs)
      .filter(([file]) => file.endsWith('.mjs'))
      .map(([file, output]) => [resolve(root, file), output]),
  );
  const entry = join(outdir, BUNDLE_FILE);
  const start = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (start.has(file)) continue;
    start.add(file);
    for (const imported of outputs.get(file)?.imports ?? []) {
      const path = resolve(root, imported.path);
      if (imported.kind === 'import-statement' && outputs.has(path)) pending.push(path);
    }
  }
  if (!outputs.has(entry)) throw new Error(`esbuild wrote no ${entry}`);
  const bytes = (file: string) => outputs.get(file)?.bytes ?? 0;
  return {
    entry,
    entryBytes: bytes(entry),
    startBytes: [...start].reduce((sum, file) => sum + bytes(file), 0),
    startGzipBytes: [...start].reduce((sum, file) => sum + gzipSync(readFileSync(file)).length, 0),
    lazyBytes: [...outputs.keys()]
      .filter((file) => !start.has(file))
      .reduce((sum, file) => sum + bytes(file), 0),
  };
}

/**
 * Bundles into `outdir` (the entry `index.mjs`, chunks below it), as the function deploys it.
 * `variant`: which of the function's two bundles (without the tracer unless `tracing`, as deployed by default).
 */
export async function bundleLikeLambda(
  entry: BundleEntry,
  outdir: string,
  variant: HouseBundleVariant = {},
): Promise<LambdaBundle> {
  const root = join(import.meta.dirname, '..', '..');
  const { entryPoints, ...house } = houseEsbuildOptions(
    'path' in entry ? entry.path : '',
    outdir,
    root,
    variant,
  );
  const result = await build({
    ...house,
    ...('path' in entry
      ? { entryPoints }
      : { stdin: { contents: entry.source, resolveDir: root, loader: 'ts' as const } }),
    metafile: true,
    logLevel: 'error',
  });
  return bundleFiles(result.metafile, root, outdir);
}
