import type { Database, Db } from '../../db/client';
import type { AuditService } from './audit-log';
import type { AuditOutcome, Call } from './call';

/** Where a call's one audit row stands: written in its transaction (not yet committed), or committed. */
const rows = new WeakMap<Call, 'in-transaction' | 'committed'>();

/** Whether the call's audit row is committed. */
export const isAudited = (call: Call): boolean => rows.get(call) === 'committed';

/**
 * Writes the call's one audit row with its ledger charge; the only writer of audit rows. With
 * `tx` (the call's own transaction, just before it commits) the row commits with the call's effects,
 * charged `costMicrocents`; call `committed` once that transaction has. Without it (a call refused,
 * rate-limited, failed, rolled back or replayed) the row is written in a short transaction of its
 * own and charges nothing. A call whose row is committed is not audited again.
 */
export async function finishCall(
  database: Database,
  audit: AuditService,
  call: Call,
  outcome: AuditOutcome,
  code: string | null,
  inTransaction?: { tx: Db; costMicrocents: number },
): Promise<void> {
  if (rows.get(call) === 'committed') return;
  call.outcome = outcome;
  call.errorCode = code;
  call.costMicrocents = inTransaction?.costMicrocents ?? 0;
  if (inTransaction) {
    // Issued before the first await: the statement can travel with the commit (`Phase.withCommit`).
    const written = audit.append(inTransaction.tx, call, outcome);
    rows.set(call, 'in-transaction');
    await written;
    return;
  }
  await database.withTenant(call.principal.tenantId, (tx) => audit.append(tx, call, outcome));
  rows.set(call, 'committed');
}

/** The transaction that holds the call's audit row has committed. */
export function committed(call: Call): void {
  if (rows.get(call) === 'in-transaction') rows.set(call, 'committed');
}
