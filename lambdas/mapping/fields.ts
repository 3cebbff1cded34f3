/**
 * Small, total helpers for reading provider payloads: they return undefined instead of throwing, so a
 * mapping states plainly which fields are required (and raises `MappingError` itself).
 */
import type { JsonValue } from '../cdp/client';

export type JsonObject = { readonly [key: string]: JsonValue };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a dotted path (`data.object.plan.nickname`), or undefined. */
export function at(value: unknown, path: string): JsonValue | undefined {
  let current: unknown = value;
  for (const part of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(part)) {
      current = current[Number(part)];
    } else if (isObject(current)) {
      current = current[part];
    } else {
      return undefined;
    }
  }
  return current as JsonValue | undefined;
}

export function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

export function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** Emails are matched trimmed and lower-cased, whatever the provider sent. */
export function normalizeEmail(value: unknown): string | undefined {
  const text = str(value)?.trim().toLowerCase();
  return text?.includes('@') ? text : undefined;
}

/** Unix seconds to ISO-8601 UTC; null for absent values (the CDP field is cleared, as in the vendor guide). */
export function unixToIso(value: unknown): string | null {
  const seconds = num(value);
  return seconds === undefined ? null : new Date(seconds * 1000).toISOString();
}

/** Epoch ms of an ISO-8601 string, unix seconds or unix ms; undefined when unparseable. */
export function timeMs(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // Seconds until the year 2286; anything larger is already milliseconds.
    return value < 1e10 ? value * 1000 : value;
  }
  if (typeof value === 'string' && value.trim() !== '') {
    if (/^\d+$/.test(value.trim())) return timeMs(Number(value));
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

/** `firstName` → `first_name`, `HTTPStatus` → `http_status`, `plan-tier` → `plan_tier`. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[\s.-]+/g, '_')
    .toLowerCase();
}

/** Scalars as they are; objects and arrays as JSON text (CDP fields are flat). */
export function flatValue(value: JsonValue): JsonValue {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : value;
}

/** Drops undefined fields so a record only carries what the event said. */
export function compact(record: Record<string, JsonValue | undefined>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(record)) if (value !== undefined) out[key] = value;
  return out;
}
