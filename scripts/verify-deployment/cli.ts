/**
 * The on-call CLI the scenarios run, as an operator would. One place on purpose: today it is the
 * TypeScript entry point run through tsx (`bin/webhooks-cli.ts`, the package's `bin`); once the package
 * ships a compiled CLI (e.g. `dist/cli/…js`), return that here and every scenario runs the built one.
 */
import { join } from 'node:path';
import { PROJECT_ROOT } from './synth';

export interface CliCommand {
  /** The executable (a Node binary). */
  readonly command: string;
  /** Arguments before the CLI's own (`dlq redrive …`). */
  readonly args: readonly string[];
}

export function onCallCliCommand(): CliCommand {
  return {
    command: process.execPath,
    args: ['--import', 'tsx', join(PROJECT_ROOT, 'bin', 'webhooks-cli.ts')],
  };
}
