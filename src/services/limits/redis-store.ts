import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../../lib/logger';
import { createMemoryWindowStore } from './memory-store';
import type { WindowStore } from './policy';

/**
 * The same sliding-window log as the in-process store, kept in a Redis sorted set per key and
 * updated atomically by a script that reads Redis' own clock, so every instance sees one window.
 */
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < limit then
  redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, 0}
end
local edge = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
return {0, tonumber(edge[2]) + window - now}
`;

export interface RedisStoreOptions {
  url: string;
  logger: Logger;
  /** Key prefix (several deployments may share one Redis). */
  prefix?: string;
  /** A command slower than this counts as Redis being down. */
  timeoutMs?: number;
}

/**
 * Redis-backed store. When Redis is unreachable the call is judged by an in-process window instead
 * (limits then hold per instance, not across instances) and the outage is logged — availability over
 * a hard refusal, chosen because the per-instance limit still stops a runaway client.
 */
export function createRedisWindowStore(options: RedisStoreOptions): WindowStore {
  const prefix = options.prefix ?? 'pact:rl:';
  const redis = new Redis(options.url, {
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.timeoutMs ?? 500,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  redis.on('error', () => {});
  let wasReady = false;
  redis.on('ready', () => {
    wasReady = true;
  });
  const fallback = createMemoryWindowStore();
  let warnedAt = 0;

  return {
    async hit(key, limit, windowMs) {
      try {
        // Commands queue only while the first connection is made; after an outage began, skip the wait.
        if (wasReady && redis.status !== 'ready') throw new Error(`Redis is ${redis.status}`);
        const [allowed, retryAfterMs] = (await redis.eval(SCRIPT, 1, `${prefix}${key}`, windowMs, limit, randomBytes(6).toString('hex'))) as [number, number];
        return { allowed: allowed === 1, retryAfterMs: Math.max(0, retryAfterMs) };
      } catch (error) {
        if (Date.now() - warnedAt > 10_000) {
          warnedAt = Date.now();
          options.logger.warn({ err: error }, 'rate-limit store (Redis) unavailable: limiting per instance');
        }
        return fallback.hit(key, limit, windowMs);
      }
    },
    async close() {
      redis.disconnect();
      await fallback.close();
    },
  };
}
