/**
 * What "now" is for the parts of Pact that reason about the calendar: the demo seed and its aging,
 * and the agents' "today" (time windows, risk, briefings, metric periods). One clock is injected at
 * start (`createServices({ clock })`); tests and the evaluation pin it to a fixed day.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock stopped at `at` (a Date, or YYYY-MM-DD for noon UTC that day). */
export function fixedClock(at: Date | string): Clock {
  const instant = typeof at === 'string' ? new Date(/^\d{4}-\d{2}-\d{2}$/.test(at) ? `${at}T12:00:00Z` : at) : at;
  if (Number.isNaN(instant.getTime())) throw new Error(`fixedClock: not a date: ${String(at)}`);
  return { now: () => new Date(instant.getTime()) };
}

/** The clock's day in UTC, as YYYY-MM-DD. */
export const todayOf = (clock: Clock): string => clock.now().toISOString().slice(0, 10);
