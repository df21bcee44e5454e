import { asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Database, Db } from '../../db/client';
import { auditLog, auditPending, auditSealedRows, auditSeals } from '../../db/schema';
import type { Logger } from '../../lib/logger';
import { GENESIS, batchRoot, sealHashOf, sealHmacOf, type AuditRow, type SealKeys } from './seal-format';

/** Advisory-lock namespace of the per-tenant sealing lock (the second key is the tenant's hashtext). */
const SEAL_LOCK = 715024002;

export interface AuditSealerOptions {
  database: Database;
  keys: SealKeys;
  logger: Logger;
  /** Pause between background passes; 0 runs no background loop (only `sealNow`). Default 1000 ms. */
  intervalMs?: number;
  /** Most rows in one seal. Default 1000. */
  batchSize?: number;
}

export interface AuditSealer {
  /**
   * Seals every row committed before the call, waiting for another instance that is sealing the
   * same tenant. Returns the number of rows this call sealed.
   */
  sealNow(): Promise<number>;
  /** Stops the background loop, waits for a pass under way, then seals what is queued once more (best effort). */
  stop(): Promise<void>;
}

/**
 * Links committed audit rows into signed per-tenant seals, off the request path. Each seal is made
 * in one transaction holding the tenant's advisory lock: read the last seal, take up to `batchSize`
 * queued rows, insert the seal and its row list, dequeue the rows. The queue holds only committed
 * rows, so a row that commits late is sealed by a later pass, and one left by a killed process by
 * the next sealer to run.
 */
export function createAuditSealer(options: AuditSealerOptions): AuditSealer {
  const { database, keys, logger } = options;
  const intervalMs = options.intervalMs ?? 1000;
  const batchSize = options.batchSize ?? 1000;

  async function sealBatch(tx: Db, tenantId: string, wait: boolean): Promise<{ queued: number; sealed: number }> {
    if (wait) {
      await tx.execute(sql`select pg_advisory_xact_lock(${SEAL_LOCK}::int, hashtext(${tenantId}::text))`);
    } else {
      const [lock] = await database.rows<{ ok: boolean }>(tx, sql`select pg_try_advisory_xact_lock(${SEAL_LOCK}::int, hashtext(${tenantId}::text)) as ok`);
      if (!lock?.ok) return { queued: 0, sealed: 0 };
    }
    const queued = await tx
      .select({ auditId: auditPending.auditId, row: auditLog, sealedIn: auditSealedRows.sealSeq })
      .from(auditPending)
      .leftJoin(auditLog, eq(auditLog.id, auditPending.auditId))
      .leftJoin(auditSealedRows, eq(auditSealedRows.auditId, auditPending.auditId))
      .where(eq(auditPending.tenantId, tenantId))
      .orderBy(asc(auditLog.seq))
      .limit(batchSize);
    if (queued.length === 0) return { queued: 0, sealed: 0 };
    const rows = queued.filter((q) => q.sealedIn === null && q.row?.tenantId === tenantId).map((q) => q.row as AuditRow);
    const ids = queued.map((q) => q.auditId);
    if (rows.length < queued.length) logger.warn({ tenantId, skipped: queued.length - rows.length }, 'audit queue entries without an unsealed row of their tenant');
    if (rows.length > 0) {
      const [last] = await tx
        .select({ seq: auditSeals.seq, hash: auditSeals.hash })
        .from(auditSeals)
        .where(eq(auditSeals.tenantId, tenantId))
        .orderBy(desc(auditSeals.seq))
        .limit(1);
      const seal = {
        tenantId,
        seq: (last?.seq ?? 0) + 1,
        rowCount: rows.length,
        firstRowSeq: rows[0]?.seq ?? 0,
        lastRowSeq: rows[rows.length - 1]?.seq ?? 0,
        root: batchRoot(rows),
        prevHash: last?.hash ?? GENESIS,
        sealedAt: new Date(),
      };
      const hash = sealHashOf(seal);
      await tx.insert(auditSeals).values({ ...seal, hash, hmac: sealHmacOf(keys, tenantId, hash) });
      await tx.insert(auditSealedRows).values(rows.map((r) => ({ auditId: r.id, tenantId, sealSeq: seal.seq })));
    }
    await tx.delete(auditPending).where(inArray(auditPending.auditId, ids));
    return { queued: queued.length, sealed: rows.length };
  }

  async function pass(wait: boolean): Promise<number> {
    const tenants = await database
      .readSystem((db) => db.selectDistinct({ tenantId: auditPending.tenantId }).from(auditPending))
      .catch((error: unknown) => {
        logger.warn({ err: error }, 'could not read the audit sealing queue; retrying on the next pass');
        throw error;
      });
    let sealed = 0;
    let failure: unknown = null;
    for (const { tenantId } of tenants) {
      try {
        for (;;) {
          const batch = await database.withSystem((tx) => sealBatch(tx, tenantId, wait));
          sealed += batch.sealed;
          if (batch.queued < batchSize) break;
        }
      } catch (error) {
        logger.warn({ err: error, tenantId }, 'could not seal audit rows; retrying on the next pass');
        failure ??= error;
      }
    }
    if (failure) throw failure;
    return sealed;
  }

  let chain: Promise<unknown> = Promise.resolve();
  /** Runs passes one after another in this instance. */
  const enqueue = (wait: boolean): Promise<number> => {
    const run = chain.then(() => pass(wait));
    chain = run.catch(() => {});
    return run;
  };

  let stopped = intervalMs <= 0;
  let timer: NodeJS.Timeout | null = null;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = null;
      enqueue(false)
        .catch(() => {})
        .finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return {
    sealNow: () => enqueue(true),
    async stop() {
      const wasRunning = !stopped;
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await chain;
      if (wasRunning) await enqueue(false).catch(() => {});
    },
  };
}
