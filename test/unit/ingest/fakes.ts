/**
 * In-memory stand-ins for the ingest ports, for unit tests of the domain's decisions.
 */
import type {
  ClaimCheckStore,
  FailedEntry,
  IngestLogger,
  IngestMetricName,
  IngestMetrics,
  QueueEntry,
  QueuePort,
} from '../../../lambdas/ingest/ports';
import type { SecretSource } from '../../../lambdas/shared/secrets';
import { SecretUnavailableError } from '../../../lambdas/shared/secrets';

export const silentLogger: IngestLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/** Records every log line, to check what is (and is not) logged. */
export class RecordingLogger implements IngestLogger {
  readonly lines: { level: string; message: string; attributes: Record<string, unknown> }[] = [];
  debug(message: string, attributes: Record<string, unknown> = {}) {
    this.lines.push({ level: 'debug', message, attributes });
  }
  info(message: string, attributes: Record<string, unknown> = {}) {
    this.lines.push({ level: 'info', message, attributes });
  }
  warn(message: string, attributes: Record<string, unknown> = {}) {
    this.lines.push({ level: 'warn', message, attributes });
  }
  error(message: string, attributes: Record<string, unknown> = {}) {
    this.lines.push({ level: 'error', message, attributes });
  }
}

export class RecordingMetrics implements IngestMetrics {
  readonly points: { name: IngestMetricName; source: string; value: number; reason?: string }[] = [];
  flushes = 0;
  count(name: IngestMetricName, source: string, value = 1, reason?: string): void {
    this.points.push({ name, source, value, ...(reason !== undefined ? { reason } : {}) });
  }
  flush(): void {
    this.flushes++;
  }
  total(name: IngestMetricName): number {
    return this.points.filter((p) => p.name === name).reduce((sum, p) => sum + p.value, 0);
  }
}

/** A queue that accepts everything, or refuses entries per `refuse(entry, call)`. */
export class MemoryQueue implements QueuePort {
  readonly calls: QueueEntry[][] = [];
  readonly accepted: QueueEntry[] = [];
  constructor(private readonly refuse: (entry: QueueEntry, call: number) => boolean = () => false) {}
  async sendBatch(entries: readonly QueueEntry[]): Promise<readonly FailedEntry[]> {
    const call = this.calls.length;
    this.calls.push([...entries]);
    const failed: FailedEntry[] = [];
    for (const entry of entries) {
      if (this.refuse(entry, call)) failed.push({ id: entry.id, code: 'InternalError', senderFault: false });
      else this.accepted.push(entry);
    }
    return failed;
  }
}

export class MemoryClaimCheck implements ClaimCheckStore {
  readonly objects = new Map<string, Buffer>();
  constructor(private readonly failing = false) {}
  async put(key: string, body: Buffer): Promise<{ readonly bucket: string }> {
    if (this.failing) throw new Error('S3 is down');
    this.objects.set(key, body);
    return { bucket: 'claims' };
  }
}

export function staticSecrets(values: Readonly<Record<string, readonly string[]>>): SecretSource {
  return {
    async getActiveSecrets(secretId) {
      const found = values[secretId];
      if (!found)
        throw new SecretUnavailableError(`Could not read secret ${secretId}: ResourceNotFoundException`);
      return found;
    },
  };
}
