/**
 * `webhooks events get`: reads one event's dedupe record from the state table.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { type DedupeRecord, KEY_PREFIX, STATE_TABLE } from '../lambdas/shared/schema';

export type EventLookup =
  | { readonly found: false; readonly pk: string; readonly dedupeKey: string }
  | {
      readonly found: true;
      readonly pk: string;
      readonly dedupeKey: string;
      /** DynamoDB deletes expired items lazily; an expired record no longer protects against re-delivery. */
      readonly expired: boolean;
      readonly record: DedupeRecord;
    };

/** The dedupe key of an event: `<sourceId>:<eventId>` (eventId may itself be `sha256:<hex>`). */
export function dedupeKeyOf(sourceId: string, eventId: string): string {
  return `${sourceId}:${eventId}`;
}

/** Reads the dedupe record with a strongly consistent read (on-call wants the latest state). */
export async function getEventRecord(
  doc: DynamoDBDocumentClient,
  tableName: string,
  sourceId: string,
  eventId: string,
  nowMs: number = Date.now(),
): Promise<EventLookup> {
  return await getDedupeRecord(doc, tableName, dedupeKeyOf(sourceId, eventId), nowMs);
}

/** The dedupe record of a dedupe key (as carried by a queue envelope), read strongly consistent. */
export async function getDedupeRecord(
  doc: DynamoDBDocumentClient,
  tableName: string,
  dedupeKey: string,
  nowMs: number = Date.now(),
): Promise<EventLookup> {
  const pk = `${KEY_PREFIX.event}${dedupeKey}`;
  const { Item } = await doc.send(
    new GetCommand({ TableName: tableName, Key: { [STATE_TABLE.partitionKey]: pk }, ConsistentRead: true }),
  );
  if (!Item) return { found: false, pk, dedupeKey };
  const record = Item as DedupeRecord;
  const expiresAt = Number(record.expiresAt);
  return {
    found: true,
    pk,
    dedupeKey,
    expired: Number.isFinite(expiresAt) && expiresAt * 1000 <= nowMs,
    record,
  };
}

/**
 * What happened to an event, in plain words. The dedupe record alone cannot tell a dead-lettered event
 * from one waiting for its next retry: the processor releases its claim (lease in the past, `lastError`
 * set) in both cases. Only the DLQ knows, so `events get` looks there whenever the record is not
 * COMPLETED and the DLQ is known.
 */
export type EventState =
  /** COMPLETED: every CDP operation applied. */
  | 'completed'
  /** A message carrying the event is in the DLQ. */
  | 'dead_lettered'
  /** A delivery holds the claim right now. */
  | 'in_progress'
  /** Not completed, lease passed, not in the DLQ: waiting on the main queue for its next attempt. */
  | 'retrying'
  /** Not completed, lease passed, DLQ not checked (unknown): dead-lettered or retrying. */
  | 'not_completed'
  /** No record and not in the DLQ (or DLQ not checked). */
  | 'unknown';

export function eventState(lookup: EventLookup, inDlq: boolean | undefined, nowMs: number): EventState {
  if (lookup.found && lookup.record.status === 'COMPLETED') return 'completed';
  if (inDlq) return 'dead_lettered';
  if (!lookup.found) return 'unknown';
  const lease = lookup.record.leaseExpiresAtMs;
  if (lease !== undefined && lease > nowMs) return 'in_progress';
  return inDlq === false ? 'retrying' : 'not_completed';
}
