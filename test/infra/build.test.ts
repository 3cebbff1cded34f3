/**
 * `npm run build`: JavaScript that plain Node loads (no tsx, no TypeScript) through the package's own
 * `exports`, and declarations whose types reach consumers on both "bundler" and "nodenext" resolution
 * (a consumer's deliberate type error is caught, so the types are not silently `any`). Then the package
 * as another team gets it: packed, installed offline into a scratch CDK app that has only aws-cdk-lib and
 * constructs, the README's example synthesized there (prebuilt Lambda bundles) and compared with the same
 * example synthesized in this checkout (bundled from source), and the installed `webhooks` CLI run with no
 * network. One file, because both parts need one `npm run build` (two files would race on dist/).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { BUNDLE_FILE, BUNDLE_HANDLER, PREBUILT_BUNDLES_DIR } from '../../lib/constructs/house-bundle';
import { PROJECT_ROOT } from '../../lib/webhook-pipeline';
import { bundleCodeFiles } from './support';

const CONSUMER_DIR = join(PROJECT_ROOT, 'dist', '.consumer-check');

before(
  () => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: PROJECT_ROOT, stdio: 'pipe' });
    mkdirSync(CONSUMER_DIR, { recursive: true });
  },
  { timeout: 600_000 },
);

describe('npm run build', { timeout: 180_000 }, () => {
  it('emits JavaScript that plain node imports by package name and synthesizes the construct with', () => {
    const script = `
      import { App, Stack } from 'aws-cdk-lib';
      import { WebhookPipeline, PROJECT_ROOT } from 'webhook-pipeline';
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new Stack(app, 'Host');
      const pipeline = new WebhookPipeline(stack, 'Webhooks', {
        cdp: { baseUrl: 'https://api.example-cdp.com/public/v1' },
        sources: [{ id: 'stripe', provider: 'stripe' }],
      });
      const template = app.synth().getStackByName('Host').template;
      const types = Object.values(template.Resources).map((r) => r.Type);
      console.log(JSON.stringify({ root: PROJECT_ROOT, tables: types.filter((t) => t === 'AWS::DynamoDB::Table').length,
        url: typeof pipeline.webhookUrl('stripe') }));
    `;
    const file = join(CONSUMER_DIR, 'synth.mjs');
    writeFileSync(file, script);
    // No tsx loader: only what the build emitted (and the package's dependencies) runs.
    const result = spawnSync(process.execPath, [file], { cwd: CONSUMER_DIR, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const out = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}');
    assert.deepEqual(out, { root: PROJECT_ROOT, tables: 1, url: 'string' });
  });

  for (const resolution of ['bundler', 'nodenext'] as const) {
    it(`emits declarations a TypeScript consumer resolves (moduleResolution ${resolution})`, () => {
      const file = join(CONSUMER_DIR, `consumer-${resolution}.ts`);
      writeFileSync(
        file,
        [
          "import { App, Stack } from 'aws-cdk-lib';",
          "import { WebhookPipeline, type WebhookPipelineProps } from 'webhook-pipeline';",
          "const props: WebhookPipelineProps = { cdp: { baseUrl: 'https://x.example.com' }, sources: [] };",
          "const pipeline = new WebhookPipeline(new Stack(new App(), 'S'), 'W', props);",
          'export const wrong: number = pipeline.queue.queueUrl;',
          '',
        ].join('\n'),
      );
      const module = resolution === 'bundler' ? 'esnext' : 'nodenext';
      const tsc = spawnSync(
        process.execPath,
        [
          join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
          ...['--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--types', 'node'],
          ...['--module', module, '--moduleResolution', resolution, file],
        ],
        { cwd: PROJECT_ROOT, encoding: 'utf8' },
      );
      const errors = tsc.stdout.split('\n').filter((line) => line.includes('error TS'));
      assert.equal(errors.length, 1, tsc.stdout);
      assert.match(errors[0] ?? '', /TS2322: Type 'string' is not assignable to type 'number'/);
    });
  }
});

interface LockEntry {
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly bundleDependencies?: readonly string[];
  readonly [key: string]: unknown;
}
type Lock = { packages: Record<string, LockEntry> };

/**
 * The scratch app's package.json and lock file: `roots` at the versions this checkout's lock pins, with
 * their dependency closure, and the packed tarball. `npm ci --offline` installs them from npm's cache
 * (which `npm ci` of the checkout filled with every tarball) by integrity, with no registry metadata,
 * which installing by name or range would need (and `--offline` cannot fetch).
 */
function scratchApp(roots: readonly string[], tarball: { file: string; integrity: string }) {
  const checkout = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as Lock;
  const self = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as LockEntry & {
    name: string;
    version: string;
  };
  const packages: Record<string, LockEntry> = {};
  const queue = roots.map((name) => `node_modules/${name}`);
  for (let key = queue.pop(); key !== undefined; key = queue.pop()) {
    if (packages[key]) continue;
    const entry = checkout.packages[key];
    if (!entry) throw new Error(`${key} is not in package-lock.json`);
    for (const [path, nested] of Object.entries(checkout.packages)) {
      if (path === key || path.startsWith(`${key}/node_modules/`)) {
        const { dev: _dev, devOptional: _devOptional, peer: _peer, ...kept } = nested;
        packages[path] = kept;
      }
    }
    for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      if (entry.bundleDependencies?.includes(dep)) continue;
      const nested = `${key}/node_modules/${dep}`;
      queue.push(checkout.packages[nested] ? nested : `node_modules/${dep}`);
    }
  }
  const spec = `file:${tarball.file}`;
  packages[`node_modules/${self.name}`] = {
    version: self.version,
    resolved: spec,
    integrity: tarball.integrity,
    license: self.license,
    bin: self.bin,
    peerDependencies: self.peerDependencies,
  };
  const dependencies = {
    ...Object.fromEntries(roots.map((name) => [name, String(packages[`node_modules/${name}`]?.version)])),
    [self.name]: spec,
  };
  const root = { name: 'scratch-cdk-app', version: '1.0.0', dependencies };
  return {
    packageJson: { ...root, private: true, type: 'module' },
    lock: { ...root, lockfileVersion: 3, requires: true, packages: { '': root, ...packages } },
  };
}

/** The first ```js block of the README's "Use it in your own CDK app" section: the example users copy. */
function readmeExample(): string {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const section = readme.split('\n### Use it in your own CDK app\n')[1]?.split('\n### ')[0] ?? '';
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, 'README "Use it in your own CDK app" has no ```js example');
  return code;
}

interface Synth {
  readonly template: {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    Outputs?: Record<string, unknown>;
  };
  readonly outdir: string;
}

const run = promisify(execFile);

/** `node app.mjs` as `cdk synth` runs it (CDK_OUTDIR set, so the app synthesizes on exit). */
async function synthesize(
  appDir: string,
  outdir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Synth> {
  await run(process.execPath, ['app.mjs'], { cwd: appDir, env: { ...env, CDK_OUTDIR: outdir } }).catch(
    (error: { stderr?: string }) => assert.fail(`synth in ${appDir} failed:\n${error.stderr}`),
  );
  const template = JSON.parse(readFileSync(join(outdir, 'PlatformStack.template.json'), 'utf8'));
  return { template, outdir };
}

/**
 * A bundle folder, whole: every file (the entry, its chunks and their source maps) by relative path, each
 * JavaScript file checked to have its source map.
 */
function bundleCode(dir: string): Record<string, string> {
  const code = bundleCodeFiles(dir);
  assert.ok(code.includes(BUNDLE_FILE), `no ${BUNDLE_FILE} in ${dir}`);
  for (const file of code)
    assert.ok(existsSync(join(dir, `${file}.map`)), `${file}: no source map in ${dir}`);
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
  return Object.fromEntries(files.map((file) => [file, readFileSync(join(dir, file), 'utf8')]));
}

/** Asserts two sets of bundle folders hold the same files with the same bytes (short messages, no dumps). */
function assertSameBundles(
  actual: Map<string, Record<string, string>>,
  expected: Map<string, Record<string, string>>,
): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [id, files] of actual) {
    const other = expected.get(id) ?? {};
    assert.deepEqual(Object.keys(files), Object.keys(other), `${id}: not the same files`);
    for (const [file, content] of Object.entries(files)) {
      assert.ok(content === other[file], `${id}: ${file} differs`);
    }
  }
}

/** Each function's bundle folder in the cloud assembly (its whole code: entry and chunks), by logical id. */
function functionBundles(synth: Synth): Map<string, Record<string, string>> {
  const bundles = new Map<string, Record<string, string>>();
  for (const [id, resource] of Object.entries(synth.template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const key = (resource.Properties.Code as { S3Key?: string } | undefined)?.S3Key ?? '';
    bundles.set(id, bundleCode(join(synth.outdir, `asset.${key.replace(/\.zip$/, '')}`)));
  }
  return bundles;
}

/** The template with asset hashes (which cover the source maps' relative paths) made comparable. */
function withoutAssetHashes(template: object): unknown {
  return JSON.parse(JSON.stringify(template).replace(/\b[0-9a-f]{64}\b/g, '<asset-hash>'));
}

// Timeouts guard against a hang, not speed: about 15 s of CPU (npm ci, two synths), minutes on a loaded box.
describe('the packed package, installed in a CDK app with no TypeScript tooling', {
  timeout: 600_000,
}, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'webhook-pipeline-consumer-'));
  // The node running these tests (Node 24 under `npm run`) first, and no node_modules/.bin folder on PATH,
  // so no tsx, tsc or esbuild; a proxy that refuses every connection, so any download fails loudly.
  const offlineEnv: NodeJS.ProcessEnv = {
    PATH: [
      dirname(process.execPath),
      ...(process.env.PATH ?? '').split(delimiter).filter((dir) => !dir.includes('node_modules/.bin')),
    ].join(delimiter),
    HOME: process.env.HOME,
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
    HTTP_PROXY: 'http://127.0.0.1:9',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    npm_config_proxy: 'http://127.0.0.1:9',
    npm_config_https_proxy: 'http://127.0.0.1:9',
  };
  let packedFiles: string[] = [];
  let installed: Synth;
  let checkout: Synth;

  before(async () => {
    const example = readmeExample();
    // The same file in the checkout, where `webhook-pipeline` is dist/ by self-reference and the
    // functions are bundled from lambdas/ at synth; it runs while the scratch app installs.
    writeFileSync(join(CONSUMER_DIR, 'app.mjs'), example);
    const fromCheckout = synthesize(CONSUMER_DIR, join(scratch, 'checkout.out'));
    fromCheckout.catch(() => {}); // awaited below; a failure meanwhile is not an unhandled rejection
    const pack = await run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: PROJECT_ROOT });
    const packed = JSON.parse(pack.stdout) as {
      filename: string;
      integrity: string;
      files: { path: string }[];
    }[];
    packedFiles = packed[0]?.files.map((f) => f.path) ?? [];
    const app = join(scratch, 'app');
    mkdirSync(app);
    const { packageJson, lock } = scratchApp(['aws-cdk-lib', 'constructs'], {
      file: `../${packed[0]?.filename}`,
      integrity: packed[0]?.integrity ?? '',
    });
    writeFileSync(join(app, 'package.json'), JSON.stringify(packageJson));
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify(lock));
    // The cache the checkout's `npm ci` filled (its own .npmrc may move it; the scratch app is elsewhere).
    const cache = (await run('npm', ['config', 'get', 'cache'], { cwd: PROJECT_ROOT })).stdout.trim();
    const npmFlags = ['--offline', `--cache=${cache}`, '--ignore-scripts', '--no-audit', '--no-fund'];
    await run('npm', ['ci', ...npmFlags, '--loglevel=error'], { cwd: app, env: offlineEnv });
    writeFileSync(join(app, 'app.mjs'), example);
    installed = await synthesize(app, join(app, 'cdk.out'), offlineEnv);
    checkout = await fromCheckout;
  });

  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('packs the built JavaScript, declarations, bundles and CLI, and no TypeScript source', () => {
    for (const file of [
      'dist/index.js',
      'dist/types/lib/index.d.ts',
      'dist/cli/webhooks.js',
      `${PREBUILT_BUNDLES_DIR}/ingest/handler/${BUNDLE_FILE}`,
      `${PREBUILT_BUNDLES_DIR}/processor/handler/${BUNDLE_FILE}`,
      // The variants `tracing: true` deploys, and the samples `webhooks send` signs.
      `${PREBUILT_BUNDLES_DIR}/ingest/handler-traced/${BUNDLE_FILE}`,
      `${PREBUILT_BUNDLES_DIR}/processor/handler-traced/${BUNDLE_FILE}`,
      'dist/cli/fixtures/webhooks/stripe/invoice.payment_succeeded.json',
      'LICENSE',
      'README.md',
    ]) {
      assert.ok(packedFiles.includes(file), `${file} is not in the tarball`);
    }
    assert.deepEqual(
      packedFiles.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
      [],
    );
    assert.deepEqual(
      packedFiles.filter((f) => f.includes('.consumer-check')),
      [],
    );
    const modules = readdirSync(join(scratch, 'app', 'node_modules'));
    for (const tool of ['typescript', 'tsx', 'esbuild', 'aws-cdk']) {
      assert.ok(!modules.includes(tool), `${tool} is installed in the scratch app`);
    }
  });

  it('synthesizes the README example: the whole pipeline, each function with its prebuilt bundle', () => {
    const types = Object.values(installed.template.Resources).map((r) => r.Type);
    const count = (type: string) => types.filter((t) => t === type).length;
    assert.equal(count('AWS::DynamoDB::Table'), 1);
    assert.equal(count('AWS::SQS::Queue'), 2);
    assert.equal(count('AWS::ApiGatewayV2::Api'), 1);
    assert.equal(count('AWS::SecretsManager::Secret'), 2);
    assert.ok(installed.template.Outputs?.StripeWebhookUrl, 'the example output is missing');
    const functions = Object.values(installed.template.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    assert.equal(functions.length, 2);
    for (const fn of functions) {
      assert.equal(fn.Properties.Handler, BUNDLE_HANDLER);
      assert.equal(fn.Properties.Runtime, 'nodejs24.x');
      assert.deepEqual(fn.Properties.Architectures, ['arm64']);
    }
    // The whole prebuilt folder, chunks included (the entry imports them by relative path).
    const shipped = ['ingest', 'processor'].map((name) =>
      JSON.stringify(bundleCode(join(PROJECT_ROOT, PREBUILT_BUNDLES_DIR, name, 'handler'))),
    );
    for (const [id, code] of functionBundles(installed)) {
      assert.ok(Object.keys(code).length > 1, `${id}: its asset has no chunks`);
      assert.ok(
        shipped.includes(JSON.stringify(code)),
        `${id}: its asset is not one of the prebuilt bundles`,
      );
    }
  });

  it('gives the same template and the same bundles as the checkout bundling from source', () => {
    // Everything but the asset hashes: handler, runtime, environment, IAM, wiring.
    assert.deepEqual(withoutAssetHashes(installed.template), withoutAssetHashes(checkout.template));
    // Byte for byte the folder esbuild makes at synth: every file (entry, chunks, source maps).
    assertSameBundles(functionBundles(installed), functionBundles(checkout));
  });

  it('runs the installed `webhooks --help` offline, with no tsx to download', () => {
    const bin = join(scratch, 'app', 'node_modules', '.bin', 'webhooks');
    for (const [command, args] of [
      [bin, ['--help']],
      ['npx', ['--offline', '--no-install', 'webhooks', '--help']],
    ] as const) {
      const result = spawnSync(command, args, {
        cwd: join(scratch, 'app'),
        env: offlineEnv,
        encoding: 'utf8',
      });
      assert.equal(result.status, 0, `${command} ${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stdout, /^Usage: webhooks \[options\] \[command\]/m);
      assert.match(result.stdout, /\bdlq\b[\s\S]*\bevents\b/);
    }
    const help = spawnSync(bin, ['--help'], { env: offlineEnv, encoding: 'utf8' }).stdout;
    if (/--version\b/.test(help)) {
      // Wherever the CLI reads its version from, the bundle in dist/cli/ must find the package's.
      const version = spawnSync(bin, ['--version'], { env: offlineEnv, encoding: 'utf8' });
      const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
      assert.equal(version.stdout.trim(), pkg.version, version.stderr);
    }
  });
});
