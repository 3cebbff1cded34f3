/** The printed report: one table per front door, then problems and notes. */
import type { VerifyReport } from './harness';

function table(rows: string[][]): string {
  const widths =
    rows[0]?.map((_, i) =>
      Math.max(...rows.map((r) => (r[i] ?? '').split('\n').reduce((m, l) => Math.max(m, l.length), 0))),
    ) ?? [];
  const out: string[] = [];
  rows.forEach((row, index) => {
    const cells = row.map((c) => c.split('\n'));
    const height = Math.max(...cells.map((c) => c.length));
    for (let line = 0; line < height; line += 1) {
      out.push(
        cells
          .map((c, i) => (c[line] ?? '').padEnd(widths[i] ?? 0))
          .join(' | ')
          .trimEnd(),
      );
    }
    if (index === 0) out.push(widths.map((w) => '-'.repeat(w)).join('-|-'));
  });
  return out.join('\n');
}

export function formatReport(report: VerifyReport): string {
  const lines: string[] = [];
  lines.push(
    `== ${report.label}: ${report.ok ? 'PASS' : 'FAIL'} (${(report.durationMs / 1000).toFixed(1)} s)`,
  );
  lines.push('Wiring (from the template):');
  for (const w of report.wiring) lines.push(`  ${w}`);
  lines.push('');
  lines.push(
    table([
      ['function', 'architecture', 'invocations', 'calls by action', 'denied', 'granted but unused'],
      ...report.functions.map((f) => [
        f.logicalId,
        f.architecture,
        `${f.invocations} (${f.errors} failed)`,
        Object.entries(f.callsByAction)
          .sort()
          .map(([a, n]) => `${a} ×${n}`)
          .join('\n') || '-',
        String(f.denied.length),
        f.grantedUnused.join('\n') || '-',
      ]),
    ]),
  );
  lines.push('');
  lines.push(
    table([
      ['alarm', 'threshold', 'result'],
      ...report.alarms.map((a) => [
        a.logicalId,
        String(a.threshold),
        a.verdict.state === 'tripped'
          ? `TRIPPED (${a.verdict.value})`
          : a.verdict.state === 'not-tripped'
            ? `not tripped: ${a.verdict.why}`
            : `not evaluable: ${a.verdict.why}`,
      ]),
    ]),
  );
  lines.push('');
  lines.push('Scenarios:');
  for (const s of report.scenarios) lines.push(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.name}: ${s.detail}`);
  if (report.notes.length) {
    lines.push('Notes:');
    for (const n of report.notes) lines.push(`  - ${n}`);
  }
  if (report.problems.length) {
    lines.push('PROBLEMS:');
    for (const p of report.problems) lines.push(`  ✗ ${p}`);
  }
  return lines.join('\n');
}
