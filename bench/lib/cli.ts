/**
 * Shared plumbing of the bench commands: option parsing and the emulators (started here unless the
 * environment already points at running ones, as under the test runner).
 */
import { availableParallelism, cpus } from 'node:os';
import { InvalidArgumentError } from 'commander';
import { type Emulators, emulatorEnv, startEmulators } from '../../local/emulators';
import { writeResults } from './results';

/** commander parser for a positive integer option. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** commander parser for a rate between 0 and 1. */
export function rate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be between 0 and 1');
  return n;
}

/** Starts the emulators unless AWS_ENDPOINT_URL_SQS/DYNAMODB are set; returns how to stop them. */
export async function ensureEmulators(): Promise<() => Promise<void>> {
  if (process.env.AWS_ENDPOINT_URL_SQS && process.env.AWS_ENDPOINT_URL_DYNAMODB) return async () => {};
  const emulators = await startEmulators();
  Object.assign(process.env, emulatorEnv(emulators));
  return () => emulators.stop();
}

/** The machine a result was measured on (figures depend on it). */
export function machine(): Record<string, string | number> {
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
  };
}

/** Records a run's report with the machine and the time it was measured on; returns the files' paths. */
export function recordReport(name: string, report: object, markdown: string): { json: string; md: string } {
  return writeResults(
    name,
    { ...report, machine: machine(), recordedAt: new Date().toISOString() },
    markdown,
  );
}

/**
 * The emulators the environment points at (the test runner starts one set for every file), so a local
 * pipeline can use them instead of starting its own DynamoDB Local; undefined when none are configured.
 */
export function emulatorsFromEnv(env: NodeJS.ProcessEnv = process.env): Emulators | undefined {
  const sqs = env.AWS_ENDPOINT_URL_SQS;
  const dynamodb = env.AWS_ENDPOINT_URL_DYNAMODB;
  const secrets = env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  if (!sqs || !dynamodb || !secrets) return undefined;
  return {
    fauxqsEndpoint: sqs,
    dynamodbEndpoint: dynamodb,
    secretsManagerEndpoint: secrets,
    stop: async () => {},
  };
}
