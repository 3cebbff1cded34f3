/**
 * How the `webhooks` CLI becomes one JavaScript file: used by `npm run build` (scripts/build-bundles.ts,
 * the package's `bin`) and by `npm run verify:deployment`, whose on-call scenarios run the built CLI, so
 * both run the same artifact. The sample deliveries `webhooks send` signs go beside it (`fixtures/`).
 */
import { cpSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { ESM_REQUIRE_BANNER } from '../lib/constructs/house-bundle';

/** Oldest Node the tooling supports (package.json `engines`); the CLI bundle is compiled for it. */
const TOOLING_TARGET = 'node20.12';

/** Bundles the CLI of the checkout at `root` into `outfile`, its sample deliveries beside it. */
export async function buildCliBundle(root: string, outfile: string): Promise<void> {
  await build({
    // Imported rather than used as the entry: esbuild would keep the entry's `npx tsx` hashbang.
    stdin: { contents: "import './bin/webhooks-cli.ts';", resolveDir: root, sourcefile: 'webhooks.js' },
    outfile,
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: TOOLING_TARGET,
    mainFields: ['module', 'main'],
    banner: { js: `#!/usr/bin/env node\n${ESM_REQUIRE_BANNER}` },
    logLevel: 'warning',
  });
  // local/fixtures.ts looks here when it runs from a bundle (no test/ folder is shipped).
  cpSync(join(root, 'test', 'fixtures', 'webhooks'), join(dirname(outfile), 'fixtures', 'webhooks'), {
    recursive: true,
  });
}
