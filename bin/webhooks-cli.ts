#!/usr/bin/env -S npx tsx
/**
 * `webhooks`: the on-call CLI (see "The `webhooks` CLI" in README.md). Resources come from --stack, or explicit
 * URLs/names or WEBHOOKS_* variables; AWS_ENDPOINT_URL_* points it at local mode's emulators unchanged.
 * The AWS clients are made after parsing, from --region/--profile.
 */
import { defaultClients } from '../cli/clients';
import { runCli } from '../cli/program';
import { processTerminal } from '../cli/terminal';

const code = await runCli(process.argv.slice(2), {
  clients: defaultClients,
  terminal: processTerminal(),
  env: process.env,
});
process.exitCode = code;
