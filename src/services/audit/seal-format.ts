import { storable as storableText } from '../../lib/text';
import canonicalize from 'canonicalize';
import type { auditLog, auditSeals } from '../../db/schema';
import { deriveKey, hmac, sha256Hex } from '../../lib/crypto';

/** The `prev_hash` of a tenant's first seal. */
export const GENESIS = 'genesis';

export type AuditRow = typeof auditLog.$inferSelect;
export type SealRow = typeof auditSeals.$inferSelect;
/** What a row's MAC and digest cover: every column but its insertion order and the MAC itself. */
export type AuditContent = Omit<AuditRow, 'seq' | 'rowMac'>;

/** Per-tenant keys for row MACs and seal signatures, derived from the master key and cached. */
export interface SealKeys {
  row(tenantId: string): Buffer;
  seal(tenantId: string): Buffer;
}

export function createSealKeys(masterKey: Buffer): SealKeys {
  const cache = new Map<string, Buffer>();
  const derive = (info: string) => {
    let key = cache.get(info);
    if (!key) {
      key = deriveKey(masterKey, info);
      cache.set(info, key);
    }
    return key;
  };
  return {
    row: (tenantId) => derive(`pact/audit-row/${tenantId}`),
    seal: (tenantId) => derive(`pact/audit-seal/${tenantId}`),
  };
}

/** Digest of a row's content, RFC 8785 canonical JSON. */
export function contentDigest(row: AuditContent): string {
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

/** The row's MAC: HMAC-SHA256 under the tenant's row key over its content digest. */
export const rowMacOf = (keys: SealKeys, row: AuditContent): string => hmac(keys.row(row.tenantId), contentDigest(row)).toString('hex');

/** Hashes a batch's rows, in `seq` order, as `seq:content digest` lines. */
export const batchRoot = (rows: readonly AuditRow[]): string => sha256Hex(rows.map((r) => `${r.seq}:${contentDigest(r)}`).join('\n'));

/** A seal's own hash: what links the next seal to it and what its HMAC signs. */
export const sealHashOf = (seal: Omit<SealRow, 'hash' | 'hmac'>): string =>
  sha256Hex(
    [
      'pact-audit-seal/1',
      seal.tenantId,
      seal.seq,
      seal.prevHash,
      seal.rowCount,
      seal.firstRowSeq,
      seal.lastRowSeq,
      seal.root,
      seal.sealedAt.toISOString(),
    ].join('|'),
  );

export const sealHmacOf = (keys: SealKeys, tenantId: string, hash: string): string => hmac(keys.seal(tenantId), hash).toString('hex');

/** Makes text storable (lib/text) so a row reads back exactly as it was MACed; null stays null. */
export const storable = <T extends string | null>(value: T): T => (value === null ? value : storableText(value)) as T;
