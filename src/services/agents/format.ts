/** Currency units with two decimals and thousands separators, from cents. */
export const money = (cents: number): string =>
  (cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const percent = (ratio: number): string => `${(ratio * 100).toFixed(1)}%`;

export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/** YYYY-MM-DD of a date in UTC. */
export const isoDate = (date: Date): string => date.toISOString().slice(0, 10);

/** Whole days from `from` to `to` (YYYY-MM-DD). */
export const daysBetween = (from: string, to: string): number => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

/** `date` (YYYY-MM-DD) moved by `days`. */
export const addDays = (date: string, days: number): string => isoDate(new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000));

/** The words of a list joined as prose: "a, b and c". */
export const prose = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;

export const stageName = (stage: string): string => stage.replace('_', ' ');
