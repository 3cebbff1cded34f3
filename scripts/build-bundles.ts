/**
 * The part of `npm run build` that makes the package usable with no TypeScript tooling:
 * - every Lambda handler (lambdas/<name>/handler.ts) bundled into dist/lambdas/<name>/handler/ (index.mjs and
 *   its chunks/) with the house options (lib/constructs/house-bundle.ts, the same call `WebhookFunction`
 *   makes when it bundles from source), which the installed package's `WebhookFunction` deploys as they are;
 * - the `webhooks` CLI as one JavaScript file, dist/cli/webhooks.js (the package's `bin`), with its
 *   dependencies inside: it starts with plain `node`, offline, and needs nothing installed beside it.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { houseEsbuildOptions, prebuiltBundleDir } from '../lib/constructs/house-bundle';
import { buildCliBundle } from './cli-bundle';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The CLI's output, relative to the package root (package.json `bin` points here). */
export const CLI_BUNDLE = 'dist/cli/webhooks.js';

/** Every `handler.ts` below lambdas/: each is a function's entry. */
function handlerEntries(dir = join(ROOT, 'lambdas')): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return handlerEntries(path);
      return name === 'handler.ts' ? [path] : [];
    });
}

// Both variants of each handler: the default one without the tracer, and the one `tracing: true` deploys.
const lambdaBuilds = handlerEntries().flatMap((entry) =>
  [{ tracing: false }, { tracing: true }].map(async (variant) => {
    const outdir = prebuiltBundleDir(ROOT, entry, variant);
    // Emptied first: chunks are named by content hash, so an earlier build's chunks would otherwise stay in
    // the folder, and the folder is the function's code.
    rmSync(outdir, { recursive: true, force: true });
    mkdirSync(outdir, { recursive: true });
    await build(houseEsbuildOptions(entry, outdir, ROOT, variant));
    return relative(ROOT, outdir);
  }),
);

const cliBuild = buildCliBundle(ROOT, join(ROOT, CLI_BUNDLE));

const built = await Promise.all([...lambdaBuilds, cliBuild.then(() => CLI_BUNDLE)]);
console.log(`bundled: ${built.join(', ')}`);
