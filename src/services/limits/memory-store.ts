import type { WindowStore } from './policy';

/**
 * Exact sliding-window log in this process: a call is admitted only when fewer than `limit` calls
 * were admitted in the `windowMs` before it, so no window anywhere — boundaries included — holds
 * more than `limit`. Memory is bounded by `limit` timestamps per active key.
 */
export function createMemoryWindowStore(now: () => number = Date.now): WindowStore {
  const logs = new Map<string, number[]>();
  let sweptAt = now();

  const sweep = (t: number, windowMs: number) => {
    if (t - sweptAt < windowMs) return;
    sweptAt = t;
    for (const [key, log] of logs) if ((log[log.length - 1] ?? 0) <= t - windowMs) logs.delete(key);
  };

  return {
    async hit(key, limit, windowMs) {
      const t = now();
      sweep(t, windowMs);
      let log = logs.get(key);
      if (!log) {
        log = [];
        logs.set(key, log);
      }
      let drop = 0;
      while (drop < log.length && (log[drop] ?? 0) <= t - windowMs) drop += 1;
      if (drop > 0) log.splice(0, drop);
      if (log.length < limit) {
        log.push(t);
        return { allowed: true, retryAfterMs: 0 };
      }
      const oldest = log[log.length - limit] ?? t;
      return { allowed: false, retryAfterMs: Math.max(1, oldest + windowMs - t) };
    },
    async close() {
      logs.clear();
    },
  };
}
