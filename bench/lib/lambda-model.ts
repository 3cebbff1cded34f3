/**
 * What the cost model measures about the functions themselves, instead of assuming it:
 *
 * - {@link captureFunctionLogs}: the bytes the handlers write to stdout/stderr (Powertools Logger JSON lines
 *   and EMF metric lines, both ingested and billed by CloudWatch Logs), attributed by their `service` key;
 * - {@link cpuMeter}: CPU time (user + system) around each handler invocation;
 * - {@link billedMs}: how that maps to Lambda's billed duration at a memory size.
 */
import { SERVICE_NAMES } from '../../lambdas/shared/observability';

/** Lambda gives one full vCPU at 1,769 MB and a proportional share below (AWS Lambda docs, "Memory and computing power"). */
export const MB_PER_VCPU = 1769;
/** Memory sizes the model compares; the stack's default is one of them (lib/resource-definitions.ts). */
export const MEMORY_SIZES_MB = [256, 512, 1024] as const;

/**
 * Round trips on AWS within a region (what a handler waits for; billed, since billed duration is wall time):
 * SQS SendMessageBatch ~5–10 ms, DynamoDB conditional writes ~3–5 ms, and the CDP at the stand-in's fixed
 * latency used for throughput (bench/throughput.ts).
 */
export const AWS_ROUND_TRIP_MS = { sqsSend: 8, dynamoWrite: 4, cdpCall: 50 } as const;

/**
 * Bytes CloudWatch Logs counts per log event on top of the message (the PutLogEvents size rule). Counted as
 * billed here to stay on the safe side.
 */
export const LOG_EVENT_OVERHEAD_BYTES = 26;

/**
 * Lambda's own START/END/REPORT lines per invocation in the text format (about 70 + 50 + 130 bytes). The
 * stack's functions log in JSON with the system log level at WARN (lib/constructs/webhook-function.ts), which
 * drops them for invocations that succeed; they come back at INFO.
 */
export const PLATFORM_LINES_BYTES_PER_INVOCATION = 250 + 3 * LOG_EVENT_OVERHEAD_BYTES;

export interface FunctionLogTotals {
  /** JSON log lines (Powertools Logger). */
  readonly logLines: number;
  readonly logBytes: number;
  /** EMF lines (Powertools Metrics). */
  readonly emfLines: number;
  readonly emfBytes: number;
}

export interface LogCapture {
  /** Totals by function since start (or the last reset); a copy. */
  totals(): Record<'ingest' | 'processor', FunctionLogTotals>;
  /** One sample line of each kind, for the report. */
  samples(): Record<string, string>;
  reset(): void;
  /** Restores stdout and stderr. */
  stop(): void;
}

/**
 * Takes every line a pipeline function writes (recognised by its `service` key) off stdout and stderr and
 * counts it instead of printing it; anything else passes through.
 */
export function captureFunctionLogs(): LogCapture {
  const services: Record<string, 'ingest' | 'processor'> = {
    [SERVICE_NAMES.ingest]: 'ingest',
    [SERVICE_NAMES.processor]: 'processor',
  };
  const empty = () => ({ logLines: 0, logBytes: 0, emfLines: 0, emfBytes: 0 });
  let totals = { ingest: empty(), processor: empty() };
  let samples: Record<string, string> = {};
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((s) => s.write.bind(s));
  streams.forEach((stream, i) => {
    const original = originals[i] as typeof stream.write;
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const passed: string[] = [];
      for (const line of text.split('\n')) {
        if (line === '') continue;
        const fn = functionOf(line, services);
        if (!fn) {
          passed.push(line);
          continue;
        }
        const bytes = Buffer.byteLength(line);
        const emf = line.includes('"_aws":');
        const t = totals[fn];
        if (emf) {
          t.emfLines += 1;
          t.emfBytes += bytes;
        } else {
          t.logLines += 1;
          t.logBytes += bytes;
        }
        samples[`${fn} ${emf ? 'EMF' : 'log'}`] ??= line;
      }
      if (passed.length === 0) return true;
      return (original as (c: string, ...r: unknown[]) => boolean)(`${passed.join('\n')}\n`, ...rest);
    }) as typeof stream.write;
  });
  return {
    totals: () => ({ ingest: { ...totals.ingest }, processor: { ...totals.processor } }),
    samples: () => ({ ...samples }),
    reset: () => {
      totals = { ingest: empty(), processor: empty() };
      samples = {};
    },
    stop: () => {
      streams.forEach((stream, i) => {
        stream.write = originals[i] as typeof stream.write;
      });
    },
  };
}

function functionOf(
  line: string,
  services: Record<string, 'ingest' | 'processor'>,
): 'ingest' | 'processor' | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as { service?: unknown };
    return typeof parsed.service === 'string' ? services[parsed.service] : undefined;
  } catch {
    return undefined;
  }
}

/** CPU milliseconds (user + system) of the process while `fn` runs. */
export async function withCpu<T>(fn: () => Promise<T>, record: (cpuMs: number) => void): Promise<T> {
  const start = process.cpuUsage();
  try {
    return await fn();
  } finally {
    const used = process.cpuUsage(start);
    record((used.user + used.system) / 1000);
  }
}

/**
 * Billed milliseconds on Lambda for work that takes `cpuMs` of one full core here and waits `waitMs` on the
 * network: the CPU part stretches by 1,769 / memory below one vCPU (the functions are single-threaded, so
 * more than one vCPU does not shorten it), the waits do not stretch. Assumes a Graviton core about as fast
 * as this machine's.
 */
export function billedMs(cpuMs: number, waitMs: number, memoryMb: number): number {
  return cpuMs * Math.max(1, MB_PER_VCPU / memoryMb) + waitMs;
}
