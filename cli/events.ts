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
