/**
 * HubSpot mappings. HubSpot webhook events carry ids, not records (`objectId`, and for property changes
 * `propertyName`/`propertyValue`), so profiles are matched on `hubspot_contact_id`. Property changes of
 * different properties are independent, so each property is its own out-of-order scope: an older change
 * of `phone` must still apply after a newer change of `lastname`.
 */
import type { JsonValue } from '../cdp/client';
import { compact, isObject, str, timeMs, toSnakeCase } from './fields';
import { type CdpOperation, MappingError, type MappingInput, type ProviderMapping } from './types';

function event(input: MappingInput): Record<string, JsonValue> {
  if (!isObject(input.json)) throw new MappingError('HubSpot event is not a JSON object');
  return input.json;
}

function objectId(e: Record<string, JsonValue>): string {
  const id = str(e.objectId);
  if (!id) throw new MappingError('HubSpot event has no objectId');
  return id;
}

function occurredMs(e: Record<string, JsonValue>, input: MappingInput): number | undefined {
  return timeMs(e.occurredAt) ?? timeMs(input.occurredAt);
}

function isoOf(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

function contactCreation(input: MappingInput): readonly CdpOperation[] {
  const e = event(input);
  const when = occurredMs(e, input);
  return [
    {
      kind: 'upsert',
      name: 'profiles.upsert',
      object: 'profiles',
      matchKey: 'hubspot_contact_id',
      record: compact({
        hubspot_contact_id: objectId(e),
        hubspot_portal_id: str(e.portalId),
        hubspot_created_at: isoOf(when),
      }),
      eventTimeMs: when,
      guardScope: 'created',
    },
  ];
}

function contactPropertyChange(input: MappingInput): readonly CdpOperation[] {
  const e = event(input);
  const property = str(e.propertyName);
  if (!property) throw new MappingError('HubSpot property change has no propertyName');
  const field = toSnakeCase(property);
  const value = e.propertyValue;
  return [
    {
      kind: 'upsert',
      name: 'profiles.upsert',
      object: 'profiles',
      matchKey: 'hubspot_contact_id',
      record: {
        hubspot_contact_id: objectId(e),
        [field]:
          field === 'email' && typeof value === 'string' ? value.trim().toLowerCase() : (value ?? null),
      },
      eventTimeMs: occurredMs(e, input),
      guardScope: `property:${field}`,
    },
  ];
}

function dealCreation(input: MappingInput): readonly CdpOperation[] {
  const e = event(input);
  const when = occurredMs(e, input);
  return [
    {
      kind: 'upsert',
      name: 'deals.upsert',
      object: 'deals',
      matchKey: 'hubspot_deal_id',
      record: compact({
        hubspot_deal_id: objectId(e),
        hubspot_portal_id: str(e.portalId),
        created_at: isoOf(when),
      }),
      eventTimeMs: when,
      guardScope: 'created',
    },
  ];
}

export const hubspotMapping: ProviderMapping = {
  eventTypes: {
    'contact.creation': contactCreation,
    'contact.propertyChange': contactPropertyChange,
    'deal.creation': dealCreation,
  },
};
