/**
 * Runs one function's bundle the way Lambda does: each instance is a separate Node process on the
 * runtime's major version, with only the environment Lambda would give it (the template's variables plus
 * Lambda's reserved ones), one invocation at a time, the template's timeout (an overrun kills the
 * instance, as Lambda resets the sandbox) and a heap sized from the template's memory.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionArtifact } from './synth';

const RUNNER = join(dirname(fileURLToPath(import.meta.url)), 'runner.mjs');

export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
}

/**
 * The Node binary for a `nodejsNN.x` runtime: the `node-<platform>-<arch>` package from the npm registry
 * (an optional dependency pinned to the runtime's major), or `VERIFY_DEPLOYMENT_NODE`.
 */
export function nodeBinaryFor(runtime: string): { path: string; version: string } {
  const major = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
  if (!major) throw new RuntimeError(`Runtime "${runtime}" is not a Node.js runtime this harness can run`);
  const override = process.env.VERIFY_DEPLOYMENT_NODE;
  let path: string | undefined = override;
  if (!path) {
    const require = createRequire(import.meta.url);
    const pkg = `node-${process.platform}-${process.arch}`;
    try {
      const manifest = require.resolve(`${pkg}/package.json`);
      const version = (require(`${pkg}/package.json`) as { version: string }).version;
      if (version.split('.')[0] !== major) {
        throw new RuntimeError(
          `The template declares ${runtime} but ${pkg} is ${version}: pin the optional dependency ${pkg} to ${major}.x`,
        );
      }
      path = join(dirname(manifest), 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
    } catch (error) {
      if (error instanceof RuntimeError) throw error;
      throw new RuntimeError(
        `No Node ${major} binary: the optional dependency ${pkg} is not installed (npm ci installs it on linux x64/arm64); elsewhere set VERIFY_DEPLOYMENT_NODE to a Node ${major} binary`,
      );
    }
  }
  if (!existsSync(path)) throw new RuntimeError(`Node binary ${path} does not exist`);
  return { path, version: major };
}

export interface InvokeResult {
  readonly ok: boolean;
  readonly result?: unknown;
  /** `Runtime.ImportModuleError: …`, `Task timed out after 10 s`, `Error: …` */
  readonly error?: string;
  /** Lambda refused the invocation: every instance the reserved concurrency allows was busy. */
  readonly throttled?: boolean;
  readonly durationMs: number;
}

interface Instance {
  readonly child: ChildProcess;
  busy: boolean;
  ready: Promise<void>;
  pending?: { id: string; resolve: (r: { result?: unknown; error?: string }) => void };
}

export interface FunctionRuntimeOptions {
  readonly artifact: FunctionArtifact;
  readonly functionName: string;
  readonly nodePath: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly region: string;
  /** Most instances at once (the mapping's maximum concurrency, or the harness's choice for APIs). */
  readonly maxInstances: number;
  /**
   * `maxInstances` is the function's reserved concurrency: an invocation finding every instance busy is
   * throttled (TooManyRequestsException) instead of waiting, as Lambda does.
   */
  readonly throttleBeyondMax?: boolean;
  /**
   * Runs `nodePath` through an emulator (arm64 under QEMU): the emulator is executed with `prefixArgs`
   * (its options and the arm64 node) before Node's own arguments.
   */
  readonly launcher?: { readonly execPath: string; readonly prefixArgs: readonly string[] };
  /** Every line the function writes to stdout/stderr (its CloudWatch log). */
  readonly onLog: (line: string) => void;
  readonly onInvoke: (outcome: InvokeResult) => void;
}

export class FunctionRuntime {
  private readonly instances: Instance[] = [];
  private readonly waiting: (() => void)[] = [];
  private stopped = false;
  private crashes = 0;
  initErrors: string[] = [];

  /**
   * The next `count` invocations lose their sandbox mid-flight (as on an out-of-memory kill): the instance
   * is killed as the event is handed over, and the invocation fails with Runtime.ExitError.
   */
  crashNext(count = 1): void {
    this.crashes += count;
  }

  constructor(private readonly options: FunctionRuntimeOptions) {}

  private spawnInstance(): Instance {
    const { artifact, environment, nodePath, functionName, region } = this.options;
    const logStream = `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomBytes(16).toString('hex')}`;
    const child = fork(
      RUNNER,
      [
        artifact.moduleFile,
        artifact.exportName,
        functionName,
        String(artifact.timeoutSeconds * 1000),
        String(artifact.memoryMb),
        region,
      ],
      {
        execPath: this.options.launcher?.execPath ?? nodePath,
        // Lambda sizes the heap from the configured memory; the old space is most of it.
        execArgv: [
          ...(this.options.launcher?.prefixArgs ?? []),
          `--max-old-space-size=${Math.max(64, Math.floor(artifact.memoryMb * 0.85))}`,
        ],
        cwd: artifact.assetDir,
        env: {
          PATH: '/var/lang/bin:/usr/local/bin:/usr/bin:/bin',
          LANG: 'en_US.UTF-8',
          TZ: ':UTC',
          LAMBDA_TASK_ROOT: artifact.assetDir,
          AWS_EXECUTION_ENV: `AWS_Lambda_${artifact.runtime}`,
          AWS_LAMBDA_FUNCTION_NAME: functionName,
          AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(artifact.memoryMb),
          AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
          AWS_LAMBDA_LOG_STREAM_NAME: logStream,
          AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
          AWS_REGION: region,
          AWS_DEFAULT_REGION: region,
          AWS_ACCESS_KEY_ID: 'ASIAVERIFYDEPLOYMENT',
          AWS_SECRET_ACCESS_KEY: 'verify-deployment',
          AWS_SESSION_TOKEN: 'verify-deployment',
          ...environment,
        },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        serialization: 'json',
      },
    );
    const lines = (stream: NodeJS.ReadableStream | null) => {
      let buffered = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buffered += chunk;
        let nl = buffered.indexOf('\n');
        while (nl !== -1) {
          this.options.onLog(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
          nl = buffered.indexOf('\n');
        }
      });
      stream?.on('end', () => {
        if (buffered) this.options.onLog(buffered);
      });
    };
    lines(child.stdout);
    lines(child.stderr);
    const instance: Instance = { child, busy: false, ready: Promise.resolve() };
    instance.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: { type?: string; error?: { name?: string; message?: string } }) => {
        if (message.type === 'ready') {
          resolve();
        } else if (message.type === 'init-error') {
          const text = `init failed (loading ${artifact.moduleFile.split('/').pop()}): ${message.error?.name}: ${message.error?.message}`;
          this.initErrors.push(text);
          reject(new RuntimeError(text));
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code, signal) =>
        reject(new RuntimeError(`instance exited (${code ?? signal}) during init`)),
      );
    });
    instance.ready.catch(() => {});
    child.on(
      'message',
      (message: {
        type?: string;
        id?: string;
        result?: unknown;
        error?: { name?: string; message?: string };
      }) => {
        if (message.type !== 'result' || instance.pending?.id !== message.id) return;
        const pending = instance.pending;
        instance.pending = undefined;
        pending?.resolve(
          message.error
            ? { error: `${message.error.name}: ${message.error.message}` }
            : { result: message.result },
        );
      },
    );
    child.on('exit', (code, signal) => {
      const index = this.instances.indexOf(instance);
      if (index !== -1) this.instances.splice(index, 1);
      instance.pending?.resolve({ error: `Runtime.ExitError: instance exited (${code ?? signal})` });
      instance.pending = undefined;
      this.waiting.shift()?.();
    });
    this.instances.push(instance);
    return instance;
  }

  private async acquire(): Promise<Instance | undefined> {
    for (;;) {
      if (this.stopped) throw new RuntimeError('runtime stopped');
      const idle = this.instances.find((i) => !i.busy && !i.child.killed && i.child.exitCode === null);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (this.instances.length < this.options.maxInstances) {
        const fresh = this.spawnInstance();
        fresh.busy = true;
        return fresh;
      }
      if (this.options.throttleBeyondMax) return undefined;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(instance: Instance): void {
    instance.busy = false;
    this.waiting.shift()?.();
  }

  /** Invokes the function with `event` (JSON-serialisable), as the Lambda service would. */
  async invoke(event: unknown): Promise<InvokeResult> {
    const started = Date.now();
    const instance = await this.acquire();
    if (!instance) {
      const throttled: InvokeResult = {
        ok: false,
        throttled: true,
        error: `TooManyRequestsException: Rate Exceeded (reserved concurrency ${this.options.maxInstances})`,
        durationMs: Date.now() - started,
      };
      this.options.onInvoke(throttled);
      return throttled;
    }
    const timeoutMs = this.options.artifact.timeoutSeconds * 1000;
    let outcome: InvokeResult;
    try {
      await instance.ready;
      const id = randomBytes(8).toString('hex');
      let timer: NodeJS.Timeout | undefined;
      const answer = await new Promise<{ result?: unknown; error?: string }>((resolve) => {
        instance.pending = { id, resolve };
        timer = setTimeout(() => {
          instance.pending = undefined;
          instance.child.kill('SIGKILL');
          resolve({
            error: `Sandbox.Timedout: Task timed out after ${this.options.artifact.timeoutSeconds} seconds`,
          });
        }, timeoutMs);
        instance.child.send({ type: 'invoke', id, event });
        if (this.crashes > 0) {
          this.crashes -= 1;
          instance.child.kill('SIGKILL');
        }
      });
      clearTimeout(timer);
      outcome = answer.error
        ? { ok: false, error: answer.error, durationMs: Date.now() - started }
        : { ok: true, result: answer.result, durationMs: Date.now() - started };
    } catch (error) {
      instance.child.kill('SIGKILL');
      outcome = { ok: false, error: (error as Error).message, durationMs: Date.now() - started };
    }
    this.release(instance);
    this.options.onInvoke(outcome);
    return outcome;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const resolve of this.waiting.splice(0)) resolve();
    await Promise.all(
      this.instances.map(
        (i) =>
          new Promise<void>((resolve) => {
            if (i.child.exitCode !== null || i.child.signalCode !== null) return resolve();
            i.child.once('exit', () => resolve());
            i.child.kill('SIGTERM');
            setTimeout(() => i.child.kill('SIGKILL'), 1000).unref();
          }),
      ),
    );
  }
}
