/** The length of every per-tool window: `rateLimitPerMin` counts calls in the last minute. */
export const WINDOW_MS = 60_000;

/** A call refused by a tool's window: the limit, and when the oldest counted call leaves it. */
export interface RateLimitRefusal {
  /** The JSON-RPC error code Pact's own server uses for RATE_LIMITED. */
  rpcCode: number;
  message: string;
  retryAfterS: number;
  data: { code: 'RATE_LIMITED'; retry_after_s: number; limit: number; window_s: number; scope: string };
}

/** The JSON-RPC code of a RATE_LIMITED error (as Pact's `/mcp` answers it, with HTTP 429). */
export const RATE_LIMITED_RPC_CODE = -32029;

/**
 * An exact sliding-window log per tool, in this process: a call is admitted only when fewer than
 * `limit` calls were admitted in the minute before it, so no 60-second span (across any boundary)
 * holds more than `limit` calls. Memory: at most `limit` timestamps per tool.
 */
export function createSlidingWindow(now: () => number) {
  const logs = new Map<string, number[]>();
  return {
    hit(tool: string, limit: number): RateLimitRefusal | null {
      const t = now();
      let log = logs.get(tool);
      if (!log) {
        log = [];
        logs.set(tool, log);
      }
      let drop = 0;
      while (drop < log.length && (log[drop] ?? 0) <= t - WINDOW_MS) drop += 1;
      if (drop > 0) log.splice(0, drop);
      if (log.length < limit) {
        log.push(t);
        return null;
      }
      const oldest = log[log.length - limit] ?? t;
      const retryAfterS = Math.max(1, Math.ceil((oldest + WINDOW_MS - t) / 1000));
      const scope = `tool:${tool}`;
      return {
        rpcCode: RATE_LIMITED_RPC_CODE,
        message: `Rate limit exceeded for ${scope}: ${limit} calls per ${WINDOW_MS / 1000} s. Retry after ${retryAfterS} s.`,
        retryAfterS,
        data: { code: 'RATE_LIMITED', retry_after_s: retryAfterS, limit, window_s: WINDOW_MS / 1000, scope },
      };
    },
  };
}
