/**
 * Runs the CDP stand-in on its own: `tsx local/cdp-stand-in-cli.ts [--port 4010] [--api-key KEY]`.
 * Drive it from outside through its admin API, e.g.
 * `curl -XPOST localhost:4010/_admin/faults -d '{"status5xxRate":0.2}'` or `curl localhost:4010/_admin/records/profiles`.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_STAND_IN_API_KEY, startCdpStandIn } from './cdp-stand-in';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4010' },
    'api-key': { type: 'string', default: DEFAULT_STAND_IN_API_KEY },
    host: { type: 'string', default: '127.0.0.1' },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--port must be a port number, got "${values.port}"`);
  process.exit(2);
}

const standIn = await startCdpStandIn({ port, apiKey: values['api-key'], host: values.host });
console.log(`CDP stand-in listening on ${standIn.url} (admin API under ${standIn.url}/_admin/)`);

const shutdown = async () => {
  await standIn.stop();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
