/**
 * The on-call CLI the scenarios run, as an operator would: the built one, as `npm run build` makes it for the
 * package's `bin` (scripts/cli-bundle.ts: one JavaScript file run by plain `node`, no tsx), bundled from
 * this checkout into a scratch folder once per run, so a stale dist/ can never stand in for the sources.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCliBundle } from '../cli-bundle';
import { PROJECT_ROOT } from './synth';

export interface CliCommand {
  /** The executable (a Node binary). */
  readonly command: string;
  /** Arguments before the CLI's own (`dlq redrive …`). */
  readonly args: readonly string[];
}

let built: Promise<string> | undefined;

export async function onCallCliCommand(): Promise<CliCommand> {
  built ??= (async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), 'verify-deployment-cli-')), 'webhooks.js');
    await buildCliBundle(PROJECT_ROOT, outfile);
    return outfile;
  })();
  return { command: process.execPath, args: [await built] };
}
