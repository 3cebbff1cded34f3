/**
 * Parsing and rendering helpers shared by the CLI commands: durations, ages and plain-text tables.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Thrown for user input the CLI cannot use; the entry point prints the message without a stack. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Parses a duration such as `90s`, `15m`, `2h`, `3d`, `1h30m` or a bare number of seconds into milliseconds.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = part.exec(trimmed); match; match = part.exec(trimmed)) {
    const [whole, amount, unit] = match;
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN);
    consumed += whole.length;
  }
  if (consumed === 0 || consumed !== trimmed.length || !Number.isFinite(total)) {
    throw new UsageError(`Invalid duration "${text}": use e.g. 30s, 15m, 2h, 3d or 1h30m`);
  }
  return Math.round(total);
}

/** A compact human rendering of a duration: `42s`, `3m 12s`, `5h 2m`, `2d 4h`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** Parses a positive number option (rates, limits), rejecting zero, negatives and garbage. */
export function parsePositiveNumber(text: string, what: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`${what} must be a positive number, got "${text}"`);
  return value;
}

/** Parses a positive whole number option. */
export function parsePositiveInteger(text: string, what: string): number {
  const value = parsePositiveNumber(text, what);
  if (!Number.isInteger(value)) throw new UsageError(`${what} must be a whole number, got "${text}"`);
  return value;
}

/** Renders rows as an aligned plain-text table (no colours, so output pastes cleanly into tickets). */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Renders a count map as `key  count` lines, largest first. */
export function renderCounts(title: string, counts: Readonly<Record<string, number>>): string {
  const rows = Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([key, count]) => [key, String(count)]);
  if (rows.length === 0) return `${title}: none`;
  return `${title}:\n${renderTable(['value', 'count'], rows)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}`;
}
