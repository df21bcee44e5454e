import { and, asc, between, eq, gt, min, notExists, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { auditLog, auditSealedRows, auditSeals } from '../../db/schema';
import { GENESIS, batchRoot, rowMacOf, sealHashOf, sealHmacOf, type AuditRow, type SealKeys, type SealRow } from './seal-format';

/** Where verification first failed. */
export interface AuditBreak {
  /** The seal concerned; null for a row not yet sealed. */
  sealSeq: number | null;
  rowId: string | null;
  rowSeq: number | null;
  reason: string;
}

export interface AuditVerification {
  tenantId: string;
  /** No seal, sealed row or unsealed row failed its check. Unsealed rows alone never fail it. */
  ok: boolean;
  seals: number;
  sealedRows: number;
  /** Rows committed but not sealed yet (the sealer links them within seconds). */
  unsealedRows: number;
  /** The newest seal: keep its hash elsewhere to detect later truncation of the log. */
  lastSeal: { seq: number; hash: string; sealedAt: Date } | null;
  firstBroken: AuditBreak | null;
}

const SEAL_PAGE = 20;
const ROW_PAGE = 1000;

/**
 * Checks a tenant's audit log against its seals: the seals form an unbroken chain (seq 1, 2, …, each
 * linking the previous seal's hash) and each carries a valid HMAC; every row a seal lists exists,
 * matches its MAC, and together they match the seal's count and root; every row not yet sealed
 * matches its MAC. Rows from before seals existed (no MAC) are checked by their seal alone.
 * Run it in one snapshot (REPEATABLE READ): a sealer committing between its reads would make seals and
 * rows disagree.
 */
export async function verifyAuditChain(tx: Db, keys: SealKeys, tenantId: string): Promise<AuditVerification> {
  let firstBroken: AuditBreak | null = null;
  const flag = (sealSeq: number | null, reason: string, row?: { id: string; seq: number | null }) => {
    firstBroken ??= { sealSeq, rowId: row?.id ?? null, rowSeq: row?.seq ?? null, reason };
  };
  const checkRow = (row: AuditRow, sealSeq: number | null) => {
    if (row.tenantId !== tenantId) flag(sealSeq, 'row belongs to another tenant', row);
    else if (row.rowMac !== null && row.rowMac !== rowMacOf(keys, row)) flag(sealSeq, 'row content does not match its MAC', row);
  };

  let prevHash = GENESIS;
  let expected = 1;
  let seals = 0;
  let sealedRows = 0;
  let last = null as SealRow | null;
  for (;;) {
    const page = await tx
      .select()
      .from(auditSeals)
      .where(and(eq(auditSeals.tenantId, tenantId), gt(auditSeals.seq, expected - 1)))
      .orderBy(asc(auditSeals.seq))
      .limit(SEAL_PAGE);
    const lo = page[0]?.seq;
    const hi = page[page.length - 1]?.seq;
    if (lo === undefined || hi === undefined) break;
    const listed = await tx
      .select({ auditId: auditSealedRows.auditId, sealSeq: auditSealedRows.sealSeq, row: auditLog })
      .from(auditSealedRows)
      .leftJoin(auditLog, eq(auditLog.id, auditSealedRows.auditId))
      .where(and(eq(auditSealedRows.tenantId, tenantId), between(auditSealedRows.sealSeq, lo, hi)))
      .orderBy(asc(auditSealedRows.sealSeq), asc(auditLog.seq));
    const bySeal = new Map<number, typeof listed>();
    for (const entry of listed) {
      const entries = bySeal.get(entry.sealSeq);
      if (entries) entries.push(entry);
      else bySeal.set(entry.sealSeq, [entry]);
    }

    for (const seal of page) {
      if (seal.seq !== expected) flag(expected, `seal ${expected} is missing (next is ${seal.seq})`);
      if (seal.prevHash !== prevHash) flag(seal.seq, 'seal does not link to the previous seal');
      const { hash, hmac, ...body } = seal;
      if (sealHashOf(body) !== hash || sealHmacOf(keys, tenantId, hash) !== hmac) flag(seal.seq, 'seal does not match its signature');
      const entries = bySeal.get(seal.seq) ?? [];
      const rows: AuditRow[] = [];
      for (const entry of entries) {
        if (entry.row) {
          checkRow(entry.row, seal.seq);
          rows.push(entry.row);
        } else {
          flag(seal.seq, 'a sealed row is missing', { id: entry.auditId, seq: null });
        }
      }
      if (entries.length !== seal.rowCount) flag(seal.seq, `seal lists ${entries.length} row(s) but was made over ${seal.rowCount}`);
      else if (batchRoot(rows) !== seal.root) flag(seal.seq, 'sealed rows do not match the seal root');
      seals += 1;
      sealedRows += rows.length;
      prevHash = hash;
      expected = seal.seq + 1;
      last = seal;
    }
    if (page.length < SEAL_PAGE) break;
  }

  const [stray] = await tx
    .select({ first: min(auditSealedRows.sealSeq) })
    .from(auditSealedRows)
    .where(
      and(
        eq(auditSealedRows.tenantId, tenantId),
        notExists(tx.select({ one: sql`1` }).from(auditSeals).where(and(eq(auditSeals.tenantId, tenantId), eq(auditSeals.seq, auditSealedRows.sealSeq)))),
      ),
    );
  if (stray?.first != null) flag(Number(stray.first), `rows are listed under seal ${stray.first}, which does not exist`);

  let unsealedRows = 0;
  let after = 0;
  for (;;) {
    const page = await tx
      .select()
      .from(auditLog)
      .where(
        and(
          eq(auditLog.tenantId, tenantId),
          gt(auditLog.seq, after),
          notExists(
            tx
              .select({ one: sql`1` })
              .from(auditSealedRows)
              .innerJoin(auditSeals, and(eq(auditSeals.tenantId, auditSealedRows.tenantId), eq(auditSeals.seq, auditSealedRows.sealSeq)))
              .where(eq(auditSealedRows.auditId, auditLog.id)),
          ),
        ),
      )
      .orderBy(asc(auditLog.seq))
      .limit(ROW_PAGE);
    for (const row of page) checkRow(row, null);
    unsealedRows += page.length;
    const tail = page[page.length - 1];
    if (!tail || page.length < ROW_PAGE) break;
    after = tail.seq;
  }

  const lastSeal = last;
  return {
    tenantId,
    ok: firstBroken === null,
    seals,
    sealedRows,
    unsealedRows,
    lastSeal: lastSeal ? { seq: lastSeal.seq, hash: lastSeal.hash, sealedAt: lastSeal.sealedAt } : null,
    firstBroken,
  };
}
