/**
 * `npm run build`: JavaScript that plain Node loads (no tsx, no TypeScript) through the package's own
 * `exports`, and declarations whose types reach consumers on both "bundler" and "nodenext" resolution
 * (a consumer's deliberate type error is caught, so the types are not silently `any`).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../lib/webhook-pipeline';

const CONSUMER_DIR = join(PROJECT_ROOT, 'dist', '.consumer-check');

describe('npm run build', { timeout: 180_000 }, () => {
  before(() => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: PROJECT_ROOT, stdio: 'pipe' });
    mkdirSync(CONSUMER_DIR, { recursive: true });
  });

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
