import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { compileSelect } from '../../db/compiled';
import { tenantKeys } from '../../db/schema';

export type KeyRow = typeof tenantKeys.$inferSelect;

const keyRowsOf = compileSelect<KeyRow>((db) =>
  db.select().from(tenantKeys).where(eq(tenantKeys.tenantId, sql.placeholder('tenantId'))).orderBy(asc(tenantKeys.version)),
);

/**
 * A tenant's key-version rows, read once per transaction (every look-up of a call shares the read);
 * `forget` drops the memo after the transaction wrote them; `lock` reads them FOR UPDATE.
 */
export function createKeyRows() {
  const perTx = new WeakMap<Db, Map<string, Promise<KeyRow[]>>>();
  return {
    of(tx: Db, tenantId: string): Promise<KeyRow[]> {
      let byTenant = perTx.get(tx);
      if (!byTenant) perTx.set(tx, (byTenant = new Map()));
      let rows = byTenant.get(tenantId);
      if (!rows) {
        rows = keyRowsOf.run(tx, { tenantId });
        const memo = byTenant;
        rows.catch(() => memo.delete(tenantId));
        byTenant.set(tenantId, rows);
      }
      return rows;
    },
    forget(tx: Db, tenantId: string): void {
      perTx.get(tx)?.delete(tenantId);
    },
    lock: (tx: Db, tenantId: string) =>
      tx.select().from(tenantKeys).where(eq(tenantKeys.tenantId, tenantId)).orderBy(asc(tenantKeys.version)).for('update'),
  };
}
