#!/usr/bin/env -S npx tsx
/**
 * `webhooks`: the on-call CLI (see "Operations: runbook" in README.md). Resources come from --stack, explicit URLs/names or
 * WEBHOOKS_* variables; AWS_ENDPOINT_URL_* points it at local mode's emulators unchanged.
 */
import { defaultClients } from '../cli/clients';
import { runCli } from '../cli/program';
import { processTerminal } from '../cli/terminal';

const code = await runCli(process.argv.slice(2), {
  clients: defaultClients(),
  terminal: processTerminal(),
  env: process.env,
});
process.exitCode = code;
