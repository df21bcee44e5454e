import { sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { newId } from '../lib/ids';
import type { Logger } from '../lib/logger';
import { storable } from '../lib/text';

export interface SecurityEvent {
  kind: string;
  path?: string | null;
  operation?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  tenantHint?: string | null;
  detail?: Record<string, unknown>;
}

/**
 * Distinct client addresses one instance gives their own rows per minute; events from further
 * addresses (X-Forwarded-For is the client's to write) are counted under `ip` null.
 */
export const MAX_ADDRESSES_PER_MINUTE = 100;

const MINUTE = 60_000;
let window = { minute: 0, addresses: new Set<string>() };

/** The address an event is counted under: its own while this minute's distinct addresses are under the cap. */
function addressOf(ip: string | null, minute: number): string | null {
  if (ip === null) return null;
  if (window.minute !== minute) window = { minute, addresses: new Set() };
  if (window.addresses.has(ip)) return ip;
  if (window.addresses.size >= MAX_ADDRESSES_PER_MINUTE) return null;
  window.addresses.add(ip);
  return ip;
}

const text = (value: string | null | undefined, max: number) => (value ? storable(value.slice(0, max)) : null);

/**
 * Records a refusal that happened before a tenant was known. Events are aggregated so that junk
 * traffic writes a bounded number of rows: one row per kind, path, client address and minute,
 * whose `count` grows (the first event's details are kept, `last_at` is the latest). Never throws:
 * a failure is logged.
 */
export async function recordSecurityEvent(database: Database, logger: Logger, event: SecurityEvent): Promise<void> {
  try {
    const now = Date.now();
    const minute = now - (now % MINUTE);
    const ip = addressOf(text(event.ip, 100), minute);
    const path = text(event.path, 100);
    const detail = event.detail ? JSON.stringify(event.detail, (_k, v: unknown) => (typeof v === 'string' ? storable(v) : v)) : null;
    await database.withSystem((tx) =>
      tx.execute(sql`
        insert into security_events (id, at, kind, path, operation, ip, user_agent, tenant_hint, detail, count, bucket, last_at)
        values (${newId()}::uuid, ${new Date(now).toISOString()}::timestamptz, ${text(event.kind, 100)}, ${path}, ${text(event.operation, 200)}, ${ip},
          ${text(event.userAgent, 300)}, ${text(event.tenantHint, 100)}, ${detail}::jsonb, 1, ${new Date(minute).toISOString()}::timestamptz,
          ${new Date(now).toISOString()}::timestamptz)
        on conflict (kind, (coalesce(path, '')), (coalesce(ip, '')), bucket)
        do update set count = security_events.count + 1, last_at = excluded.last_at`),
    );
  } catch (error) {
    logger.error({ err: error, kind: event.kind }, 'could not record security event');
  }
}
