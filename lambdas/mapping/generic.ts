/**
 * The default for every provider without a dedicated mapping: one `events` row per webhook event, with
 * the payload kept verbatim (text when it is UTF-8, base64 otherwise) so nothing is lost.
 */
import type { CdpOperation, MappingInput } from './types';

function payloadText(body: Buffer): { payload: string; payload_encoding: 'utf8' | 'base64' } {
  const text = body.toString('utf8');
  // A lossless round trip means the bytes were valid UTF-8.
  return Buffer.from(text, 'utf8').equals(body)
    ? { payload: text, payload_encoding: 'utf8' }
    : { payload: body.toString('base64'), payload_encoding: 'base64' };
}

/** Maps any event to a generic `events` append. */
export function genericEventAppend(input: MappingInput): readonly CdpOperation[] {
  return [
    {
      kind: 'append',
      name: 'events.append',
      object: 'events',
      record: {
        source: input.sourceId,
        provider: input.provider,
        event_type: input.eventType,
        event_id: input.providerEventId ?? null,
        dedupe_key: input.dedupeKey,
        occurred_at: input.occurredAt ?? null,
        received_at: input.receivedAt,
        content_type: input.headers['content-type'] ?? null,
        ...payloadText(input.body),
      },
    },
  ];
}
