/** One line of the benchmark table. */
export interface BenchRow {
  name: string;
  figures: Record<string, number>;
  target?: string;
  ok?: boolean;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[index]! * 1000) / 1000;
}

export function printTable(rows: BenchRow[], out: (line: string) => void = console.log): void {
  out('| benchmark | figures | target | met |');
  out('|---|---|---|---|');
  for (const r of rows) {
    const figures = Object.entries(r.figures)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    out(`| ${r.name} | ${figures} | ${r.target ?? ''} | ${r.ok === undefined ? '' : r.ok ? 'yes' : 'NO'} |`);
  }
}
