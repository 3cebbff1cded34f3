/** Percentiles and summaries for bench results (nearest-rank on a sorted copy). */

/** The p-th percentile (0–100) by nearest rank; undefined for an empty list. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export function median(values: readonly number[]): number | undefined {
  return percentile(values, 50);
}

export interface Distribution {
  readonly count: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

/** p50/p95/p99/max of a sample (null when empty, so it serialises to JSON). */
export function distribution(values: readonly number[]): Distribution {
  const at = (p: number) => percentile(values, p) ?? null;
  return { count: values.length, p50: at(50), p95: at(95), p99: at(99), max: at(100) };
}

/** Rounds to `digits` decimals for display and JSON. */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
