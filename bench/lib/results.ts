/**
 * Writing bench results: `bench/results/<name>.json` (machine-readable, committed) and `<name>.md` (the
 * human summary the README links to), plus plain-text tables for the console.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** bench/results, next to the scripts. */
export const RESULTS_DIR = join(import.meta.dirname, '..', 'results');

export type Cell = string | number | boolean | null | undefined;

function text(cell: Cell): string {
  if (cell === null || cell === undefined) return '–';
  if (typeof cell === 'number') return Number.isInteger(cell) ? String(cell) : cell.toFixed(2);
  return String(cell);
}

/** A GitHub-flavoured markdown table. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const escapePipes = (s: string) => s.replaceAll('|', '\\|');
  const lines = [
    `| ${headers.map(escapePipes).join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map((c) => escapePipes(text(c))).join(' | ')} |`),
  ];
  return lines.join('\n');
}

/** An aligned plain-text table for the console. */
export function consoleTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cells = [headers.map(String), ...rows.map((row) => row.map(text))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]) => row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [
    line(cells[0] ?? []),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}

/** Writes `<name>.json` and `<name>.md` under `dir`; returns their paths. */
export function writeResults(
  name: string,
  data: unknown,
  markdown: string,
  dir: string = RESULTS_DIR,
): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${name}.json`);
  const md = join(dir, `${name}.md`);
  writeFileSync(json, `${JSON.stringify(data, null, 2)}\n`);
  writeFileSync(md, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  return { json, md };
}
