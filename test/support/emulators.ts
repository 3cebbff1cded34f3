/**
 * Integration tests call {@link useEmulators} once per file. Under `npm test` the runner has already
 * started the emulators and exported their endpoints; a file run on its own starts its own.
 */
import { after, before } from 'node:test';
import { emulatorEnv, startEmulators } from '../../local/emulators';

export function useEmulators(): void {
  let stop: (() => Promise<void>) | undefined;
  before(async () => {
    if (process.env.AWS_ENDPOINT_URL_DYNAMODB && process.env.AWS_ENDPOINT_URL_SQS) return;
    const emulators = await startEmulators();
    Object.assign(process.env, emulatorEnv(emulators));
    stop = () => emulators.stop();
  });
  after(async () => {
    await stop?.();
  });
}

/** A name unique to this test run, for queues, tables and buckets created by one test. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}
