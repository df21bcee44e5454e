import type { Readable, Writable } from 'node:stream';

/** Where a command reads and writes: data to `out` (stdout), messages to `err` (stderr). */
export interface Io {
  env: NodeJS.ProcessEnv;
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  /** For prompts (readline needs a stream). */
  stderr: Writable;
  out(text: string): void;
  err(text: string): void;
}

export const processIo = (): Io => ({
  env: process.env,
  stdin: process.stdin,
  stderr: process.stderr,
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
});

/** Prints a value as indented JSON (the `--json` output). */
export const printJson = (io: Io, value: unknown) => io.out(`${JSON.stringify(value, null, 2)}\n`);

/** A plain-text table with a header row; columns padded to their widest cell. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

/** Aligned `label  value` lines. */
export function fields(entries: readonly (readonly [string, string])[]): string {
  const width = Math.max(...entries.map(([label]) => label.length));
  return entries.map(([label, value]) => `${label.padEnd(width)}  ${value}\n`).join('');
}

/** `2026-05-01 09:30 UTC`, or `—`. */
export const shortTime = (iso: string | null | undefined): string =>
  iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '—';
