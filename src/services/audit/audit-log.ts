import { and, asc, eq, gt, sql } from 'drizzle-orm';
import canonicalize from 'canonicalize';
import type { Db } from '../../db/client';
import { auditHeads, auditLog } from '../../db/schema';
import { deriveKey, hmac, sha256Hex } from '../../lib/crypto';
import { newId } from '../../lib/ids';
import type { AuditOutcome, Call } from './call';

export const GENESIS = 'genesis';

type AuditRow = typeof auditLog.$inferSelect;

/** The fields a row's hash covers, in a canonical (RFC 8785) serialisation. */
function hashRow(row: Omit<AuditRow, 'rowHash'>): string {
  const content = {
    id: row.id,
    tenantId: row.tenantId,
    seq: row.seq,
    at: row.at.toISOString(),
    path: row.path,
    operation: row.operation,
    userId: row.userId,
    apiKeyId: row.apiKeyId,
    client: row.client,
    argDigest: row.argDigest,
    latencyMs: row.latencyMs,
    resultCount: row.resultCount,
    consentHidden: row.consentHidden,
    outcome: row.outcome,
    errorCode: row.errorCode,
    costMicrocents: row.costMicrocents,
    prevHash: row.prevHash,
  };
  return sha256Hex(`${row.prevHash}|${canonicalize(content) ?? ''}`);
}

export interface AuditService {
  /** HMAC (per-tenant key) over the RFC 8785 canonical JSON of a call's arguments. */
  digest(tenantId: string, args: unknown): string;
  /**
   * Appends the call's audit row to its tenant's hash chain inside `tx` (the call's own transaction,
   * or a short one for refusals). Returns the row id.
   */
  append(tx: Db, call: Call, outcome: AuditOutcome): Promise<string>;
}

export function createAuditService(masterKey: Buffer): AuditService {
  const keys = new Map<string, Buffer>();
  const keyFor = (tenantId: string) => {
    let key = keys.get(tenantId);
    if (!key) {
      key = deriveKey(masterKey, `pact/audit/${tenantId}`);
      keys.set(tenantId, key);
    }
    return key;
  };
  const digest = (tenantId: string, args: unknown) => hmac(keyFor(tenantId), canonicalize(args ?? {}) ?? 'null').toString('hex');

  return {
    digest,
    async append(tx, call, outcome) {
      const tenantId = call.principal.tenantId;
      // Locks the tenant's chain head (created on first use) until this transaction ends.
      const [head] = await tx
        .insert(auditHeads)
        .values({ tenantId, seq: 0, headHash: GENESIS })
        .onConflictDoUpdate({ target: auditHeads.tenantId, set: { seq: sql`${auditHeads.seq}` } })
        .returning();
      if (!head) throw new Error('audit head missing');
      const row: Omit<AuditRow, 'rowHash'> = {
        id: newId(),
        tenantId,
        seq: head.seq + 1,
        at: new Date(),
        path: call.path,
        operation: call.operation.slice(0, 200),
        userId: call.principal.userId,
        apiKeyId: call.principal.apiKeyId,
        client: call.principal.client?.slice(0, 200) ?? null,
        argDigest: digest(tenantId, call.args),
        latencyMs: Math.max(0, Math.round(performance.now() - call.startedAt)),
        resultCount: call.metrics.resultCount,
        consentHidden: call.metrics.consentHidden,
        outcome,
        errorCode: call.errorCode,
        costMicrocents: outcome === 'ok' ? call.costMicrocents : 0,
        prevHash: head.headHash,
      };
      const rowHash = hashRow(row);
      await tx.insert(auditLog).values({ ...row, rowHash });
      await tx.update(auditHeads).set({ seq: row.seq, headHash: rowHash }).where(eq(auditHeads.tenantId, tenantId));
      return row.id;
    },
  };
}

export interface ChainReport {
  tenantId: string;
  rows: number;
  ok: boolean;
  /** The first row whose link does not hold, and why. */
  firstBroken: { seq: number; id: string | null; reason: string } | null;
}

/** Recomputes a tenant's audit chain from the first row and reports the first broken link. */
export async function verifyAuditChain(tx: Db, tenantId: string, batch = 1000): Promise<ChainReport> {
  let prevHash = GENESIS;
  let expectedSeq = 1;
  let rows = 0;
  const broken = (seq: number, id: string | null, reason: string): ChainReport => ({
    tenantId,
    rows,
    ok: false,
    firstBroken: { seq, id, reason },
  });
  for (;;) {
    const page = await tx
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, tenantId), gt(auditLog.seq, expectedSeq - 1)))
      .orderBy(asc(auditLog.seq))
      .limit(batch);
    for (const row of page) {
      if (row.seq !== expectedSeq) return broken(expectedSeq, null, `row ${expectedSeq} is missing (next is ${row.seq})`);
      if (row.prevHash !== prevHash) return broken(row.seq, row.id, 'prev_hash does not match the previous row');
      const { rowHash, ...rest } = row;
      if (hashRow(rest) !== rowHash) return broken(row.seq, row.id, 'row content does not match its hash');
      prevHash = rowHash;
      expectedSeq += 1;
      rows += 1;
    }
    if (page.length < batch) break;
  }
  const [head] = await tx.select().from(auditHeads).where(eq(auditHeads.tenantId, tenantId));
  if (head && (head.seq !== expectedSeq - 1 || head.headHash !== prevHash)) {
    return broken(head.seq, null, `the chain head (seq ${head.seq}) does not match the last row (seq ${expectedSeq - 1}): rows were removed`);
  }
  return { tenantId, rows, ok: true, firstBroken: null };
}
