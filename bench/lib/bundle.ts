/**
 * Bundles an entry exactly as the CDK house function does: the same esbuild options
 * (lib/constructs/house-bundle.ts: ESM, minified, source maps, AWS SDK bundled). Benchmarks measure that
 * artifact, not the tsx-compiled sources the tests run: tsx keeps function names (a `defineProperty` per
 * closure created), which the shipped bundle does not pay.
 */
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { type HouseBundleVariant, houseEsbuildOptions } from '../../lib/constructs/house-bundle';

/** An entry file, or TypeScript source resolved from the repository root. */
export type BundleEntry = { readonly path: string } | { readonly source: string };

/** `variant`: which of the function's two bundles (without the tracer unless `tracing`, as deployed by default). */
export async function bundleLikeLambda(
  entry: BundleEntry,
  outfile: string,
  variant: HouseBundleVariant = {},
): Promise<void> {
  const root = join(import.meta.dirname, '..', '..');
  const { entryPoints, ...house } = houseEsbuildOptions(
    'path' in entry ? entry.path : '',
    dirname(outfile),
    root,
    variant,
  );
  await build({
    ...house,
    ...('path' in entry
      ? { entryPoints }
      : { stdin: { contents: entry.source, resolveDir: root, loader: 'ts' as const } }),
    outfile,
    logLevel: 'error',
  });
}
