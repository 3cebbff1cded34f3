#!/usr/bin/env -S npx tsx
/**
 * `npm run verify:deployment`: synthesizes the app (default configuration, and the REST API + WAF front
 * door, and the Lambda Function URL front door) and runs what would be deployed (the cdk.out bundles on the declared Node runtime, the template's
 * environment, IAM, API integration and event source mapping, its alarms) against local emulators.
 * Exits non-zero on any denied call, unresolvable variable, failed scenario or alarm that can never fire.
 *
 *   npm run verify:deployment [-- --front-door http-api|rest-api|function-url] [--no-arm64] [--keep-out]
 *
 * Then an arm64 smoke run: one signed delivery of the default configuration, with every function that declares arm64
 * run on the arm64 Node under QEMU (scripts/verify-deployment/arm64.ts). When the emulator is not
 * installed it says so, loudly, and does not count as a failure (VERIFY_DEPLOYMENT_ARM64=required makes it
 * one).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelineConfig } from '../lib/config';
import { pipelineConfig } from '../lib/pipeline-config';
import { type Emulators, startEmulators } from '../local/emulators';
import { arm64Launcher } from './verify-deployment/arm64';
import { type EmulatorEndpoints, verifyDeployment } from './verify-deployment/harness';
import { formatReport } from './verify-deployment/report';
import { synthesize } from './verify-deployment/synth';

export const FRONT_DOORS: Record<string, PipelineConfig> = {
  'http-api': pipelineConfig,
  'rest-api': { ...pipelineConfig, frontDoor: 'rest-api' },
  'function-url': { ...pipelineConfig, frontDoor: 'function-url' },
};

const args = process.argv.slice(2);
const only = args.includes('--front-door') ? args[args.indexOf('--front-door') + 1] : undefined;
const labels = only ? [only] : Object.keys(FRONT_DOORS);
let emulators: Emulators | undefined;
let endpoints: EmulatorEndpoints;
if (
  process.env.AWS_ENDPOINT_URL_DYNAMODB &&
  process.env.AWS_ENDPOINT_URL_SQS &&
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER
) {
  endpoints = {
    fauxqsEndpoint: process.env.AWS_ENDPOINT_URL_SQS,
    dynamodbEndpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB,
    secretsManagerEndpoint: process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER,
  };
} else {
  emulators = await startEmulators();
  endpoints = emulators;
}
let failed = false;
const started = Date.now();
try {
  for (const label of labels) {
    const config = FRONT_DOORS[label];
    if (!config) throw new Error(`--front-door must be one of ${Object.keys(FRONT_DOORS).join(', ')}`);
    const out = mkdtempSync(join(tmpdir(), `verify-deployment-${label}-`));
    try {
      console.log(`Synthesizing ${label} into ${out} …`);
      const synth = synthesize(config, out);
      const report = await verifyDeployment({
        synth,
        label,
        emulators: endpoints,
        scenarios: 'full',
        log: (l) => console.log(`  ${l}`),
      });
      console.log(formatReport(report));
      failed ||= !report.ok;
    } finally {
      if (!args.includes('--keep-out')) rmSync(out, { recursive: true, force: true });
    }
  }
  if (!args.includes('--no-arm64') && (!only || only === 'http-api')) {
    const found = await arm64Launcher();
    if (!found.available) {
      const required = process.env.VERIFY_DEPLOYMENT_ARM64 === 'required';
      console.log(`\n!!! arm64 NOT RUN: ${found.reason}${required ? ' (required: FAILED)' : ''}\n`);
      failed ||= required;
    } else {
      const out = mkdtempSync(join(tmpdir(), 'verify-deployment-arm64-'));
      try {
        console.log(`Synthesizing arm64 smoke run into ${out} …`);
        const report = await verifyDeployment({
          synth: synthesize(pipelineConfig, out),
          label: 'arm64 (QEMU) smoke',
          emulators: endpoints,
          scenarios: 'smoke',
          architecture: 'declared',
          log: (l) => console.log(`  ${l}`),
        });
        console.log(formatReport(report));
        failed ||= !report.ok;
      } finally {
        if (!args.includes('--keep-out')) rmSync(out, { recursive: true, force: true });
      }
    }
  }
} finally {
  await emulators?.stop();
}
console.log(
  `verify:deployment ${failed ? 'FAILED' : 'passed'} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
process.exitCode = failed ? 1 : 0;
