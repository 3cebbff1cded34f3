/**
 * How a Lambda handler becomes the file Lambda runs: the one set of esbuild options, used by
 * `WebhookFunction` when it bundles from source (a checkout) and by `npm run build`
 * (scripts/build-bundles.ts), which bundles every handler ahead of time into dist/lambdas/ for the installed
 * package. One definition, so the two forms cannot drift (test/infra/build.test.ts synthesizes both and
 * compares templates and bundles). Pure data and path arithmetic: no CDK, no esbuild import.
 */
import { join, relative } from 'node:path';
import type { BuildOptions } from 'esbuild';
import { TRACER_MODULE } from '../../lambdas/shared/tracing';

/** esbuild target matching the house runtime (`lambda.Runtime.NODEJS_24_X`). */
export const HOUSE_ESBUILD_TARGET = 'node24';
/**
 * ESM bundles have no `require`; a few CommonJS dependencies still call it, so the bundle defines one.
 * The alias avoids clashing with a bundled module's own `createRequire` import.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __houseCreateRequire } from 'node:module'; const require = __houseCreateRequire(import.meta.url);";
/** The bundle's entry file name; ESM needs `.mjs` (the package.json beside it is not shipped to Lambda). */
export const BUNDLE_FILE = 'index.mjs';
/**
 * Where code splitting puts the rest of a bundle, relative to its folder: the modules a handler loads
 * only with a dynamic `import()` (the S3 client, needed only for claim-checked bodies) and the code those
 * share with the entry. Named by a hash of their content and source map, whose paths are relative to the
 * output folder: `WebhookFunction` therefore builds as if into the prebuilt folder, so both forms match.
 */
export const CHUNK_NAMES = 'chunks/[name]-[hash]';
/** `Handler` for a bundle: the module {@link BUNDLE_FILE} without extension, its export `handler`. */
export const BUNDLE_HANDLER = 'index.handler';
/** Where `npm run build` puts the bundles, relative to the package root. */
export const PREBUILT_BUNDLES_DIR = 'dist/lambdas';

/** Which of a handler's two bundles: without the tracer (the default), or with it (`tracing` on). */
export interface HouseBundleVariant {
  /** Bundle Powertools Tracer, which the handler imports only when tracing is on. @default false */
  readonly tracing?: boolean;
}

/**
 * The esbuild options of every Lambda bundle: ESM for Node 24 with the `require` shim, minified, with
 * source maps (enabled at runtime by `--enable-source-maps`) that name files but carry no source text,
 * and the AWS SDK bundled rather than taken from the runtime (the versions we test are the versions we
 * run). Module before main: the ESM builds of dependencies tree-shake better. Code splitting: what a
 * handler loads with a dynamic `import()` is a separate file in `outdir` (see {@link CHUNK_NAMES}), parsed
 * only when first needed, so the whole folder is the function's code. Every output file gets the `require`
 * banner and its own source map.
 */
export function houseEsbuildOptions(
  entry: string,
  outdir: string,
  projectRoot: string,
  variant: HouseBundleVariant = {},
) {
  return {
    entryPoints: [entry],
    outdir,
    entryNames: BUNDLE_FILE.slice(0, -'.mjs'.length),
    chunkNames: CHUNK_NAMES,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    absWorkingDir: projectRoot,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: HOUSE_ESBUILD_TARGET,
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    // The handler imports the tracer only when tracing is on: otherwise it stays out of the bundle (and out
    // of the cold start). A handler that tries to load it anyway serves untraced.
    external: (variant.tracing ? [] : [TRACER_MODULE]) as string[],
    logLevel: 'warning',
  } as const satisfies BuildOptions;
}

/**
 * The folder holding the prebuilt bundle of `entry` (an absolute path below `projectRoot`):
 * `lambdas/ingest/handler.ts` → `dist/lambdas/ingest/handler/` (`handler-traced/` with the tracer). Derived from the entry so every handler
 * has one, with no list to keep in step.
 */
export function prebuiltBundleDir(
  projectRoot: string,
  entry: string,
  variant: HouseBundleVariant = {},
): string {
  const fromRoot = relative(join(projectRoot, 'lambdas'), entry);
  if (fromRoot.startsWith('..') || !fromRoot.endsWith('.ts')) {
    throw new Error(`${entry} is not a TypeScript file below ${join(projectRoot, 'lambdas')}`);
  }
  const suffix = variant.tracing ? '-traced' : '';
  return join(projectRoot, PREBUILT_BUNDLES_DIR, `${fromRoot.slice(0, -'.ts'.length)}${suffix}`);
}
