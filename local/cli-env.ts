/**
 * The block `npm start` prints for pasting into another terminal: it points the `webhooks` CLI and the AWS
 * CLI at local mode through the SDKs' standard variables only (`AWS_ENDPOINT_URL_*`, region, dummy
 * credentials) plus the CLI's own `WEBHOOKS_*` resource variables, so no command needs a local-only flag.
 */
import { CLI_ENV } from '../cli/resources';
import { type Emulators, emulatorEnv } from './emulators';

export interface CliEnvInput {
  readonly emulators: Pick<Emulators, 'fauxqsEndpoint' | 'dynamodbEndpoint' | 'secretsManagerEndpoint'>;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly tableName: string;
}

/** POSIX shell single-quoting: safe for any value. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The variables, by name, that the block exports. */
export function cliEnv(input: CliEnvInput): Record<string, string> {
  return {
    ...emulatorEnv(input.emulators),
    [CLI_ENV.queueUrl]: input.queueUrl,
    [CLI_ENV.dlqUrl]: input.dlqUrl,
    [CLI_ENV.tableName]: input.tableName,
  };
}

/**
 * Shell lines (bash, zsh, sh) to paste. `AWS_PROFILE` is unset because the SDK skips the dummy
 * credentials in the environment when a profile is named (an expired SSO profile would then fail every
 * local command); `WEBHOOKS_STACK` because a stack name would send the CLI to CloudFormation.
 */
export function cliEnvBlock(input: CliEnvInput): string {
  const exports = Object.entries(cliEnv(input)).map(([name, value]) => `export ${name}=${shellQuote(value)}`);
  return [`unset AWS_PROFILE ${CLI_ENV.stack}`, ...exports].join('\n');
}
