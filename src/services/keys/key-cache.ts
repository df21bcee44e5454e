import type { tenantKeys } from '../../db/schema';
import type { TenantKey } from './sealing';

type KeyRow = typeof tenantKeys.$inferSelect;

/**
 * Unwrapped data keys of this process, keyed by the wrapped blob too: a version re-created after a
 * rolled-back transaction, or re-wrapped, never hits another blob's entry. Entries expire after
 * `ttlMs`; at most `maxEntries` are kept. Status is checked per transaction by the caller.
 */
export function createUnwrappedKeyCache(ttlMs: number, maxEntries: number) {
  const entries = new Map<string, { key: TenantKey; expires: number }>();
  /** A row read once per transaction is looked up once per sealed field: its id is built once. */
  const ids = new WeakMap<KeyRow, string>();
  const idOf = (tenantId: string, row: KeyRow) => {
    let id = ids.get(row);
    if (id === undefined || !id.startsWith(`${tenantId}:`)) {
      id = `${tenantId}:${row.version}:${row.wrappedKey.toString('base64')}`;
      ids.set(row, id);
    }
    return id;
  };
  return {
    get(tenantId: string, row: KeyRow): TenantKey | undefined {
      const hit = entries.get(idOf(tenantId, row));
      return hit && hit.expires > Date.now() ? hit.key : undefined;
    },
    set(tenantId: string, row: KeyRow, key: TenantKey): void {
      const id = idOf(tenantId, row);
      const now = Date.now();
      entries.delete(id);
      if (entries.size >= maxEntries) {
        for (const [k, entry] of entries) if (entry.expires <= now || entries.size >= maxEntries) entries.delete(k);
      }
      entries.set(id, { key, expires: now + ttlMs });
    },
    /** Drops every key of the tenant (revocation). */
    evict(tenantId: string): void {
      for (const k of entries.keys()) if (k.startsWith(`${tenantId}:`)) entries.delete(k);
    },
  };
}
