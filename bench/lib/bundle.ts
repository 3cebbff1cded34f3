/**
 * Bundles an entry exactly as the CDK house function does (lib/constructs/webhook-function.ts): esbuild,
 * ESM, minified, source maps, AWS SDK bundled. Benchmarks measure that artifact, not the tsx-compiled
 * sources the tests run: tsx keeps function names (a `defineProperty` per closure created), which the
 * shipped bundle does not pay.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { ESM_REQUIRE_BANNER, HOUSE_ESBUILD_TARGET } from '../../lib/constructs/webhook-function';

/** An entry file, or TypeScript source resolved from the repository root. */
export type BundleEntry = { readonly path: string } | { readonly source: string };

/**
 * `external`: modules left out, as the function's `externalModules` leaves them out (the tracer unless
 * tracing is on: `TRACER_MODULE` of lambdas/shared/tracing.ts).
 */
export async function bundleLikeLambda(
  entry: BundleEntry,
  outfile: string,
  options: { readonly external?: readonly string[] } = {},
): Promise<void> {
  await build({
    ...('path' in entry
      ? { entryPoints: [entry.path] }
      : {
          stdin: {
            contents: entry.source,
            resolveDir: join(import.meta.dirname, '..', '..'),
            loader: 'ts' as const,
          },
        }),
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: HOUSE_ESBUILD_TARGET,
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'error',
    external: [...(options.external ?? [])],
  });
}
