/**
 * Segment mappings (the CDP vendor guide's defaults): `identify` → `profiles` upsert by email with the
 * traits in snake_case, `track` → `events` append. Segment's `timestamp` orders identify calls.
 */
import type { JsonValue } from '../cdp/client';
import { at, compact, flatValue, isObject, normalizeEmail, str, timeMs, toSnakeCase } from './fields';
import { type CdpOperation, MappingError, type MappingInput, type ProviderMapping } from './types';

function message(input: MappingInput): Record<string, JsonValue> {
  if (!isObject(input.json)) throw new MappingError('Segment message is not a JSON object');
  return input.json;
}

function identify(input: MappingInput): readonly CdpOperation[] {
  const m = message(input);
  const traits = isObject(m.traits) ? m.traits : {};
  const email = normalizeEmail(traits.email) ?? normalizeEmail(m.email) ?? str(m.userId);
  if (!email) throw new MappingError('Segment identify has neither traits.email nor userId');
  const record: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(traits)) {
    if (value === null || name === 'email') continue;
    record[toSnakeCase(name)] = flatValue(value);
  }
  return [
    {
      kind: 'upsert',
      name: 'profiles.upsert',
      object: 'profiles',
      matchKey: 'email',
      record: { ...record, ...compact({ email, segment_user_id: str(m.userId) }) },
      eventTimeMs: timeMs(m.timestamp) ?? timeMs(m.sentAt) ?? timeMs(input.occurredAt),
    },
  ];
}

function track(input: MappingInput): readonly CdpOperation[] {
  const m = message(input);
  const eventName = str(m.event);
  if (!eventName) throw new MappingError('Segment track has no event name');
  return [
    {
      kind: 'append',
      name: 'events.append',
      object: 'events',
      record: {
        event_name: eventName,
        user_email:
          normalizeEmail(m.email) ?? normalizeEmail(at(m, 'context.traits.email')) ?? str(m.userId) ?? null,
        properties: JSON.stringify(isObject(m.properties) ? m.properties : {}),
        occurred_at: str(m.timestamp) ?? input.occurredAt ?? input.receivedAt,
      },
    },
  ];
}

export const segmentMapping: ProviderMapping = {
  eventTypes: { identify, track },
};
