import { sql } from 'drizzle-orm';
import canonicalize from 'canonicalize';
import type { Db } from '../../db/client';
import { compileSql } from '../../db/compiled';
import { deriveKey, hmac } from '../../lib/crypto';
import { newId } from '../../lib/ids';
import { canonicalizable } from '../../lib/text';
import type { AuditOutcome, Call } from './call';
import { createSealKeys, rowMacOf, storable, type AuditContent } from './seal-format';
import { verifyAuditChain, type AuditVerification } from './verify';

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

const p = (name: string) => sql.placeholder(name);

/** The audit row, its place in the sealer's queue and its ledger charge (when `charge`), in one statement. */
const APPEND = compileSql(sql`
  with logged as (
    insert into audit_log (id, tenant_id, at, path, operation, user_id, api_key_id, client, arg_digest,
      latency_ms, result_count, consent_hidden, outcome, error_code, cost_microcents, row_mac)
    values (${p('id')}::uuid, ${p('tenantId')}::uuid, ${p('at')}::timestamptz, ${p('path')}::call_path, ${p('operation')}::text,
      ${p('userId')}::uuid, ${p('apiKeyId')}::uuid, ${p('client')}::text, ${p('argDigest')}::text, ${p('latencyMs')}::int, ${p('resultCount')}::int,
      ${p('consentHidden')}::int, ${p('outcome')}::audit_outcome, ${p('errorCode')}::text, ${p('costMicrocents')}::bigint, ${p('rowMac')}::text)
  ), queued as (
    insert into audit_pending (audit_id, tenant_id) values (${p('id')}::uuid, ${p('tenantId')}::uuid)
  )
  insert into usage_ledger (tenant_id, path, operation, audit_id, cost_microcents, idempotency_key)
  select ${p('tenantId')}::uuid, ${p('path')}::call_path, ${p('operation')}::text, ${p('id')}::uuid, ${p('costMicrocents')}::bigint, ${p('idempotencyKey')}::text
  where ${p('charge')}::boolean`);

export interface AuditService {
  /** HMAC (per-tenant key) over the RFC 8785 canonical JSON of a call's arguments. */
  digest(tenantId: string, args: unknown): string;
  /**
   * Inserts the call's audit row (with its MAC), its entry in the sealer's queue and, for a
   * successful call with a cost, its usage-ledger charge, in one statement inside `tx` (the call's
   * own transaction, or a short one for refusals). Takes no lock another call waits for. Returns
   * the row id.
   */
  append(tx: Db, call: Call, outcome: AuditOutcome): Promise<string>;
  /** Checks a tenant's seals and rows (`verifyAuditChain`); `tx` may be the tenant's own transaction. */
  verify(tx: Db, tenantId: string): Promise<AuditVerification>;
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
  const sealKeys = createSealKeys(masterKey);

  return {
    digest,
    async append(tx, call, outcome) {
      const tenantId = call.principal.tenantId;
      const row: AuditContent = {
        id: newId(),
        tenantId,
        at: new Date(),
        path: call.path,
        operation: storable(call.operation.slice(0, 200)),
        userId: call.principal.userId,
        apiKeyId: call.principal.apiKeyId,
        client: storable(call.principal.client?.slice(0, 200) ?? null),
        argDigest: digest(tenantId, call.args),
        latencyMs: Math.max(0, Math.round(performance.now() - call.startedAt)),
        resultCount: call.metrics.resultCount,
        consentHidden: call.metrics.consentHidden,
        outcome,
        errorCode: storable(call.errorCode),
        costMicrocents: outcome === 'ok' ? call.costMicrocents : 0,
      };
      const charge = outcome === 'ok' && row.costMicrocents > 0;
      await APPEND.run(tx, {
        ...row,
        at: row.at.toISOString(),
        rowMac: rowMacOf(sealKeys, row),
        idempotencyKey: call.idempotencyKey,
        charge,
      });
      return row.id;
    },
    verify: (tx, tenantId) => verifyAuditChain(tx, sealKeys, tenantId),
  };
}
