/** Plain-text tables and number formats for the benchmark output. */

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => `  | ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join(' | ')} |`;
  const rule = `  |${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(headers), rule, ...cells.slice(1).map(line)].join('\n');
}

export const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
export const ms = (n: number, digits = 1): string => (Number.isFinite(n) ? `${n.toFixed(digits)} ms` : '–');
export const ratio = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–');
export const seconds = (msValue: number): string => `${(msValue / 1000).toFixed(1)} s`;
export const verdict = (ok: boolean): string => (ok ? 'meets' : 'MISSES');

export function heading(text: string): void {
  console.log(`\n=== ${text} ${'='.repeat(Math.max(0, 90 - text.length))}`);
}

export function step(text: string): void {
  console.log(`  · ${text}`);
}

/** Node, PostgreSQL and machine facts printed with every run (figures only compare within one run). */
export async function environmentLine(serverVersion: string): Promise<string> {
  const os = await import('node:os');
  return `Node ${process.version}, ${serverVersion.split(' on ')[0] ?? serverVersion}, ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${new Date().toISOString()}`;
}
