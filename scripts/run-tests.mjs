#!/usr/bin/env node
// Runs node's test runner (through tsx) over every *.test.ts below the given folders. When integration
// tests are selected, it starts the emulators once and hands their endpoints to every test file via
// the SDK's standard AWS_ENDPOINT_URL_* variables (test/support/emulators.ts starts its own otherwise).
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('--'));
const files = [];
function walk(path) {
  if (statSync(path).isFile()) {
    if (path.endsWith('.test.ts')) files.push(path);
    return;
  }
  for (const entry of readdirSync(path).sort()) {
    if (entry === 'node_modules') continue;
    walk(join(path, entry));
  }
}
for (const root of roots.length ? roots : ['test']) walk(root);
if (files.length === 0) {
  console.error(`No test files under ${roots.join(', ')}`);
  process.exit(1);
}

const needsEmulators = files.some((f) => f.includes('integration') || f.includes('e2e'));
const env = { ...process.env };
let emulators;
if (needsEmulators && !process.env.AWS_ENDPOINT_URL_DYNAMODB) {
  const { register } = await import('tsx/esm/api');
  register();
  const { startEmulators, emulatorEnv } = await import('../local/emulators.ts');
  emulators = await startEmulators();
  Object.assign(env, emulatorEnv(emulators));
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...passThrough, ...files],
  { stdio: 'inherit', env },
);
const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
await emulators?.stop();
process.exit(code);
