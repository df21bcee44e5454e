import type { Db } from '../../db/client';
import { usageLedger } from '../../db/schema';
import type { Call } from './call';

/** Writes the call's cost to the tenant's usage ledger, in the call's own transaction. */
export async function chargeCall(tx: Db, call: Call, auditId: string): Promise<void> {
  if (call.costMicrocents <= 0) return;
  await tx.insert(usageLedger).values({
    tenantId: call.principal.tenantId,
    path: call.path,
    operation: call.operation.slice(0, 200),
    auditId,
    costMicrocents: call.costMicrocents,
    idempotencyKey: call.idempotencyKey,
  });
}
