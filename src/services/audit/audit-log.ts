import { and, asc, eq, gt, sql } from 'drizzle-orm';
import canonicalize from 'canonicalize';
import type { Db } from '../../db/client';
import { auditHeads, auditLog } from '../../db/schema';
import { deriveKey, hmac, sha256Hex } from '../../lib/crypto';
import { newId } from '../../lib/ids';
import { canonicalizable, storable } from '../../lib/text';
import type { AuditOutcome, Call } from './call';

export const GENESIS = 'genesis';

type AuditRow = typeof auditLog.$inferSelect;

/** Digest of a row's content (everything but its place in the chain), RFC 8785 canonical JSON. */
function contentDigest(row: Omit<AuditRow, 'rowHash' | 'seq' | 'prevHash'>): string {
  const content = {
    id: row.id,
    tenantId: row.tenantId,
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
  };
  return sha256Hex(canonicalize(content) ?? '');
}

const rowCount = (result: unknown): number => (Array.isArray(result) ? result.length : ((result as { rows?: unknown[] }).rows?.length ?? 0));

/** A row's link: sha256(prev_hash | seq | content digest). The database computes the same when appending. */
const linkHash = (prevHash: string, seq: number, digest: string): string => sha256Hex(`${prevHash}|${seq}|${digest}`);

/**
 * The RFC 8785 text of a call's arguments. Never throws: arguments canonicalization refuses (lone
 * surrogates, non-finite numbers, hostile nesting; such calls are refused as bad input but still
 * audited) are digested in their well-formed form (`canonicalizable`: U+FFFD for a lone surrogate,
 * null for a non-finite number, "[cut]" past the depth limit). Clean arguments digest as before.
 */
function canonicalArgs(args: unknown): string {
  try {
    return canonicalize(args ?? {}) ?? 'null';
  } catch {
    return canonicalize(canonicalizable(args ?? {})) ?? 'null';
  }
}

export interface AuditService {
  /** HMAC (per-tenant key) over the RFC 8785 canonical JSON of a call's arguments. */
  digest(tenantId: string, args: unknown): string;
  /**
   * Appends the call's audit row to its tenant's hash chain inside `tx` (the call's own transaction,
   * or a short one for refusals) and, for a successful call with a cost, its usage-ledger charge.
   * Returns the row id.
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
  const digest = (tenantId: string, args: unknown) => hmac(keyFor(tenantId), canonicalArgs(args)).toString('hex');

  return {
    digest,
    async append(tx, call, outcome) {
      const tenantId = call.principal.tenantId;
      const row = {
        id: newId(),
        tenantId,
        at: new Date(),
        path: call.path,
        operation: storable(call.operation.slice(0, 200)),
        userId: call.principal.userId,
        apiKeyId: call.principal.apiKeyId,
        client: call.principal.client ? storable(call.principal.client.slice(0, 200)) : null,
        argDigest: digest(tenantId, call.args),
        latencyMs: Math.max(0, Math.round(performance.now() - call.startedAt)),
        resultCount: call.metrics.resultCount,
        consentHidden: call.metrics.consentHidden,
        outcome,
        errorCode: call.errorCode,
        costMicrocents: outcome === 'ok' ? call.costMicrocents : 0,
      };
      const charge = outcome === 'ok' && row.costMicrocents > 0;
      // One statement: lock the chain head, link and insert the row, charge the ledger, move the head.
      // The head's row lock is held only from here to commit, so appends of one tenant queue briefly.
      const statement = sql`
        with head as (
          select seq, head_hash from audit_heads where tenant_id = ${tenantId}::uuid for update
        ), ins as (
          insert into audit_log (id, tenant_id, seq, at, path, operation, user_id, api_key_id, client, arg_digest,
            latency_ms, result_count, consent_hidden, outcome, error_code, cost_microcents, prev_hash, row_hash)
          select ${row.id}::uuid, ${tenantId}::uuid, head.seq + 1, ${row.at.toISOString()}::timestamptz, ${row.path}::call_path, ${row.operation}::text,
            ${row.userId}::uuid, ${row.apiKeyId}::uuid, ${row.client}::text, ${row.argDigest}::text, ${row.latencyMs}::int, ${row.resultCount}::int,
            ${row.consentHidden}::int, ${row.outcome}::audit_outcome, ${row.errorCode}::text, ${row.costMicrocents}::bigint, head.head_hash,
            encode(sha256(convert_to(head.head_hash || '|' || (head.seq + 1)::text || '|' || ${contentDigest(row)}::text, 'UTF8')), 'hex')
          from head
          returning seq, row_hash
        ), charged as (
          insert into usage_ledger (tenant_id, path, operation, audit_id, cost_microcents, idempotency_key)
          select ${tenantId}::uuid, ${row.path}::call_path, ${row.operation}::text, ${row.id}::uuid, ${row.costMicrocents}::bigint, ${call.idempotencyKey}::text
          from ins where ${charge}::boolean
        )
        update audit_heads set seq = ins.seq, head_hash = ins.row_hash from ins where audit_heads.tenant_id = ${tenantId}::uuid
        returning ins.seq`;
      let appended = rowCount(await tx.execute(statement));
      if (appended === 0) {
        await tx.insert(auditHeads).values({ tenantId, seq: 0, headHash: GENESIS }).onConflictDoNothing();
        appended = rowCount(await tx.execute(statement));
        if (appended === 0) throw new Error('could not append to the audit chain');
      }
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
      const { rowHash, seq, prevHash: _prev, ...content } = row;
      if (linkHash(row.prevHash, seq, contentDigest(content)) !== rowHash) return broken(row.seq, row.id, 'row content does not match its hash');
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
