/**
 * A local stand-in for the CDP records API (the vendor guide's `POST /records/{object}/upsert` with
 * `{record, matchKey}` and `/append` with `{record}`), for local mode, integration tests, chaos runs and
 * drills. It behaves like the parts of the real API the pipeline relies on:
 * - Bearer API key (401 otherwise) and request validation (422 `CDP_ETL.VALIDATION.REQUEST_SCHEMA`);
 * - `Idempotency-Key`: a repeated key replays the stored answer (`Idempotent-Replayed: true`) and applies
 *   nothing; `effects` counts how often each key really changed data, so tests can assert exactly-once;
 * - like real APIs, it checks the payload on key reuse (a different body under a used key is refused with
 *   422 `IDEMPOTENCY_KEY_REUSED`, nothing applied) and forgets keys after a retention (24 h by default, on
 *   an injectable clock), after which a repeated key applies again: a real CDP does not dedupe forever;
 * - fault injection: random rates of 5xx, 429 with `Retry-After`, 422 and timeouts, a full outage, or a
 *   scripted sequence of faults for the next requests (deterministic tests).
 * An admin API (`/_admin/...`) exposes all of it over HTTP for the CLI and scripts in other processes.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type JsonRecord = Record<string, unknown>;

/** Random fault rates (0..1 each) and switches. */
export interface CdpFaults {
  /** Share of requests answered 503. */
  readonly status5xxRate?: number;
  /** Share of requests answered 429 with `Retry-After: retryAfterSeconds`. */
  readonly status429Rate?: number;
  /** @default 1 */
  readonly retryAfterSeconds?: number;
  /** Share of requests never answered (until `timeoutMs` passes or the client gives up). */
  readonly timeoutRate?: number;
  /** How long a timed-out request is held, ms. @default 30000 */
  readonly timeoutMs?: number;
  /** Timed-out requests still apply their effect first (the answer is lost, not the write). @default false */
  readonly applyBeforeTimeout?: boolean;
  /** Share of requests answered 422 (schema error). */
  readonly status422Rate?: number;
  /** Every request answered 503 while true. */
  readonly outage?: boolean;
  /** Added to every records API request before it is handled, ms (slow CDP; overlapping deliveries). */
  readonly latencyMs?: number;
}

/** One scripted fault for the next request (used before the random rates). */
export type ScriptedFault =
  /** No fault: the request is handled normally (to script a fault for a later request). */
  | { readonly pass: true }
  | { readonly status: number; readonly retryAfterSeconds?: number }
  | { readonly timeout: true; readonly applyFirst?: boolean; readonly timeoutMs?: number };

export interface CdpRequestLogEntry {
  readonly at: string;
  readonly method: string;
  readonly path: string;
  readonly object?: string;
  readonly operation?: 'upsert' | 'append';
  readonly idempotencyKey?: string;
  readonly status: number;
  /** Answered from the idempotency store. */
  readonly replayed: boolean;
  /** The injected fault, if any (`503`, `429`, `422`, `timeout`, `outage`). */
  readonly fault?: string;
  /** A used Idempotency-Key came with a different body (answered 422, nothing applied). */
  readonly keyReusedWithDifferentPayload?: boolean;
  /** The request's record (for test assertions; the stand-in only ever holds test data). */
  readonly record?: JsonRecord;
}

export interface CdpStandIn {
  /** Base URL to use as `CDP_BASE_URL` (the records API lives below it). */
  readonly url: string;
  readonly apiKey: string;
  /** Upserted records of an object (one per match key value), followed by its appended records. */
  records(object: string): JsonRecord[];
  /** The upserted record of an object with this match key value. */
  record(object: string, matchValue: string): JsonRecord | undefined;
  /** Every request received, oldest first. */
  readonly requests: readonly CdpRequestLogEntry[];
  /** How many times each Idempotency-Key changed data (anything above 1 is a double effect). */
  effects(): ReadonlyMap<string, number>;
  /** Total effects applied (upserts + appends). */
  effectCount(): number;
  setFaults(faults: CdpFaults): void;
  /** Queues faults answered, in order, to the next requests of the records API. */
  queueFaults(...faults: ScriptedFault[]): void;
  /** Drops queued faults that no request used. */
  clearQueuedFaults(): void;
  /** Clears records, requests, idempotency store, effects and faults. */
  reset(): void;
  stop(): Promise<void>;
}

export interface StartCdpStandInOptions {
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
  /** @default 'local-cdp-api-key' */
  readonly apiKey?: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Injected for deterministic fault rates. @default Math.random */
  readonly random?: () => number;
  /** The clock of the idempotency retention (tests simulate days passing). @default Date.now */
  readonly now?: () => number;
  /** How long a key is remembered, ms; after it the same key applies again. @default 24 h */
  readonly idempotencyRetentionMs?: number;
  /** Refuse (422) a used key that comes with a different body, as real APIs do. @default true */
  readonly checkPayloadOnKeyReuse?: boolean;
}

/** A real CDP's typical idempotency retention. */
export const DEFAULT_IDEMPOTENCY_RETENTION_MS = 24 * 3600 * 1000;

export const DEFAULT_STAND_IN_API_KEY = 'local-cdp-api-key';

interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
}

interface StoredKey {
  readonly response: StoredResponse;
  readonly storedAtMs: number;
  /** Hash of the route and body bytes the key was first used with. */
  readonly fingerprint: string;
}

const RECORDS_PATH = /^\/records\/([A-Za-z0-9_-]{1,64})\/(upsert|append)\/?$/;
const MAX_BODY_BYTES = 5 * 1024 * 1024;

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function schemaError(message: string): StoredResponse {
  return { status: 422, body: { error: { code: 'CDP_ETL.VALIDATION.REQUEST_SCHEMA', message } } };
}

/** Starts the stand-in on loopback. */
export async function startCdpStandIn(options: StartCdpStandInOptions = {}): Promise<CdpStandIn> {
  const apiKey = options.apiKey ?? DEFAULT_STAND_IN_API_KEY;
  const random = options.random ?? Math.random;
  const clock = options.now ?? Date.now;
  const retentionMs = options.idempotencyRetentionMs ?? DEFAULT_IDEMPOTENCY_RETENTION_MS;
  const checkPayload = options.checkPayloadOnKeyReuse ?? true;
  const upserts = new Map<string, Map<string, JsonRecord>>();
  const appends = new Map<string, JsonRecord[]>();
  const idempotency = new Map<string, StoredKey>();
  const effectCounts = new Map<string, number>();
  const requests: CdpRequestLogEntry[] = [];
  let faults: CdpFaults = {};
  let scripted: ScriptedFault[] = [];
  let nextId = 1;
  let totalEffects = 0;
  const heldTimers = new Set<NodeJS.Timeout>();

  function applyEffect(object: string, operation: 'upsert' | 'append', payload: JsonRecord): StoredResponse {
    const record = payload.record;
    if (!isRecord(record)) return schemaError('record must be an object');
    if (operation === 'upsert') {
      const matchKey = payload.matchKey;
      if (typeof matchKey !== 'string' || matchKey === '') return schemaError('matchKey is required');
      const matchValue = record[matchKey];
      if ((typeof matchValue !== 'string' && typeof matchValue !== 'number') || matchValue === '') {
        return schemaError(`record.${matchKey} (the match key) is required`);
      }
      const table = upserts.get(object) ?? new Map<string, JsonRecord>();
      upserts.set(object, table);
      const existing = table.get(String(matchValue));
      table.set(String(matchValue), { ...existing, ...record });
      totalEffects++;
      return { status: 200, body: { ok: true, object, matchKey, created: existing === undefined } };
    }
    const list = appends.get(object) ?? [];
    appends.set(object, list);
    const id = `rec_${nextId++}`;
    list.push({ ...record });
    totalEffects++;
    return { status: 201, body: { ok: true, object, id } };
  }

  function send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): undefined {
    const text = JSON.stringify(body ?? {});
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
    return undefined;
  }

  function pickRandomFault(): ScriptedFault | undefined {
    if (faults.outage) return { status: 503 };
    const scriptedFault = scripted.shift();
    if (scriptedFault) return scriptedFault;
    if (random() < (faults.status422Rate ?? 0)) return { status: 422 };
    if (random() < (faults.status429Rate ?? 0))
      return { status: 429, retryAfterSeconds: faults.retryAfterSeconds ?? 1 };
    if (random() < (faults.status5xxRate ?? 0)) return { status: 503 };
    if (random() < (faults.timeoutRate ?? 0)) {
      return {
        timeout: true,
        applyFirst: faults.applyBeforeTimeout ?? false,
        timeoutMs: faults.timeoutMs ?? 30_000,
      };
    }
    return undefined;
  }

  function handleRecords(req: IncomingMessage, res: ServerResponse, path: string, raw: Buffer): undefined {
    const match = RECORDS_PATH.exec(path);
    const object = match?.[1];
    const operation = match?.[2] as 'upsert' | 'append' | undefined;
    const keyHeader = req.headers['idempotency-key'];
    const idempotencyKey = Array.isArray(keyHeader) ? keyHeader[0] : keyHeader;
    let payload: unknown;
    try {
      payload = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
    } catch {
      payload = undefined;
    }
    const log = (entry: Partial<CdpRequestLogEntry> & { status: number }) =>
      requests.push({
        at: new Date().toISOString(),
        method: req.method ?? 'GET',
        path,
        replayed: false,
        ...(object ? { object } : {}),
        ...(operation ? { operation } : {}),
        ...(idempotencyKey ? { idempotencyKey } : {}),
        ...(isRecord(payload) && isRecord(payload.record) ? { record: payload.record } : {}),
        ...entry,
      });

    if (!object || !operation) {
      log({ status: 404 });
      return send(res, 404, { error: { code: 'NOT_FOUND', message: `No route ${path}` } });
    }
    if (req.method !== 'POST') {
      log({ status: 405 });
      return send(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'Use POST' } });
    }
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      log({ status: 401 });
      return send(res, 401, { error: { code: 'UNAUTHORIZED', message: 'Missing or invalid API key' } });
    }

    const picked = pickRandomFault();
    const fault = picked && 'pass' in picked ? undefined : picked;
    const fingerprint = createHash('sha256').update(path).update('\n').update(raw).digest('hex');
    const apply = (): { response: StoredResponse; replayed: boolean; mismatch?: boolean } => {
      const nowMs = clock();
      let stored = idempotencyKey ? idempotency.get(idempotencyKey) : undefined;
      if (stored && nowMs - stored.storedAtMs >= retentionMs && idempotencyKey) {
        idempotency.delete(idempotencyKey); // Forgotten, as a real CDP forgets keys after its retention.
        stored = undefined;
      }
      if (stored) {
        if (checkPayload && stored.fingerprint !== fingerprint) {
          const response: StoredResponse = {
            status: 422,
            body: {
              error: {
                code: 'IDEMPOTENCY_KEY_REUSED',
                message: 'This Idempotency-Key was used with a different request body',
              },
            },
          };
          return { response, replayed: false, mismatch: true };
        }
        return { response: stored.response, replayed: true };
      }
      const response = isRecord(payload)
        ? applyEffect(object, operation, payload)
        : schemaError('Body must be a JSON object');
      if (idempotencyKey) {
        idempotency.set(idempotencyKey, { response, storedAtMs: nowMs, fingerprint });
        if (response.status < 300)
          effectCounts.set(idempotencyKey, (effectCounts.get(idempotencyKey) ?? 0) + 1);
      }
      return { response, replayed: false };
    };

    if (fault && 'timeout' in fault) {
      if (fault.applyFirst) apply();
      log({ status: 0, fault: 'timeout' });
      const timer = setTimeout(() => {
        heldTimers.delete(timer);
        if (!res.writableEnded && !res.destroyed)
          send(res, 504, { error: { code: 'TIMEOUT', message: 'timed out' } });
      }, fault.timeoutMs ?? 30_000);
      heldTimers.add(timer);
      res.on('close', () => {
        clearTimeout(timer);
        heldTimers.delete(timer);
      });
      return;
    }
    if (fault) {
      const retryAfter =
        'retryAfterSeconds' in fault && fault.retryAfterSeconds !== undefined
          ? fault.retryAfterSeconds
          : undefined;
      const label = faults.outage ? 'outage' : String(fault.status);
      log({ status: fault.status, fault: label });
      const body =
        fault.status === 422
          ? schemaError('Injected schema error').body
          : {
              error: {
                code: fault.status === 429 ? 'RATE_LIMITED' : 'UNAVAILABLE',
                message: 'Injected fault',
              },
            };
      return send(
        res,
        fault.status,
        body,
        retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {},
      );
    }

    const { response, replayed, mismatch } = apply();
    log({ status: response.status, replayed, ...(mismatch ? { keyReusedWithDifferentPayload: true } : {}) });
    send(res, response.status, response.body, replayed ? { 'idempotent-replayed': 'true' } : {});
  }

  function handleAdmin(req: IncomingMessage, res: ServerResponse, path: string, raw: Buffer): undefined {
    let body: unknown;
    try {
      body = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
    } catch {
      return send(res, 400, { error: 'Body must be JSON' });
    }
    const recordsMatch = /^\/_admin\/records\/([A-Za-z0-9_-]{1,64})$/.exec(path);
    if (req.method === 'GET' && recordsMatch?.[1])
      return send(res, 200, { records: standIn.records(recordsMatch[1]) });
    if (req.method === 'GET' && path === '/_admin/records') {
      const objects = [...new Set([...upserts.keys(), ...appends.keys()])];
      return send(res, 200, { objects: Object.fromEntries(objects.map((o) => [o, standIn.records(o)])) });
    }
    if (req.method === 'GET' && path === '/_admin/requests') return send(res, 200, { requests });
    if (req.method === 'GET' && path === '/_admin/effects') {
      return send(res, 200, { total: totalEffects, effects: Object.fromEntries(effectCounts) });
    }
    if (req.method === 'GET' && path === '/_admin/faults') return send(res, 200, { faults, scripted });
    if (req.method === 'POST' && path === '/_admin/faults') {
      if (!isRecord(body)) return send(res, 400, { error: 'Faults must be an object' });
      standIn.setFaults(body as CdpFaults);
      return send(res, 200, { faults });
    }
    if (req.method === 'POST' && path === '/_admin/faults/queue') {
      const list =
        isRecord(body) && Array.isArray(body.faults) ? (body.faults as ScriptedFault[]) : undefined;
      if (!list) return send(res, 400, { error: 'Expected {"faults": [...]}' });
      standIn.queueFaults(...list);
      return send(res, 200, { scripted });
    }
    if (req.method === 'POST' && path === '/_admin/reset') {
      standIn.reset();
      return send(res, 200, { ok: true });
    }
    return send(res, 404, { error: `No admin route ${req.method} ${path}` });
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
      if (size > MAX_BODY_BYTES)
        return send(res, 413, { error: { code: 'TOO_LARGE', message: 'Body too large' } });
      const raw = Buffer.concat(chunks);
      if (path.startsWith('/_admin/')) return handleAdmin(req, res, path, raw);
      const latencyMs = faults.latencyMs ?? 0;
      if (latencyMs <= 0) return handleRecords(req, res, path, raw);
      const timer = setTimeout(() => {
        heldTimers.delete(timer);
        if (!res.destroyed) handleRecords(req, res, path, raw);
      }, latencyMs);
      heldTimers.add(timer);
      return undefined;
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const standIn: CdpStandIn = {
    url: `http://${host}:${port}`,
    apiKey,
    records(object) {
      return [...(upserts.get(object)?.values() ?? []), ...(appends.get(object) ?? [])].map((r) => ({
        ...r,
      }));
    },
    record(object, matchValue) {
      const found = upserts.get(object)?.get(matchValue);
      return found ? { ...found } : undefined;
    },
    requests,
    effects: () => new Map(effectCounts),
    effectCount: () => totalEffects,
    setFaults(next) {
      faults = { ...next };
    },
    queueFaults(...next) {
      scripted.push(...next);
    },
    clearQueuedFaults() {
      scripted = [];
    },
    reset() {
      upserts.clear();
      appends.clear();
      idempotency.clear();
      effectCounts.clear();
      requests.length = 0;
      faults = {};
      scripted = [];
      totalEffects = 0;
    },
    async stop() {
      for (const timer of heldTimers) clearTimeout(timer);
      heldTimers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return standIn;
}
