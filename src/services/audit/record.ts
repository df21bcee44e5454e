import type { Database } from '../../db/client';
import type { AuditService } from './audit-log';
import type { AuditOutcome, Call } from './call';

/**
 * Audits a call that did not commit through its own transaction (refused, rate-limited, failed or
 * rolled back) in a short transaction of its own. A call is audited once: later calls are no-ops.
 */
export async function recordCall(database: Database, audit: AuditService, call: Call, outcome: AuditOutcome, code: string | null): Promise<void> {
  if (call.audited) return;
  call.outcome = outcome;
  call.errorCode = code;
  call.costMicrocents = 0;
  await database.withTenant(call.principal.tenantId, (tx) => audit.append(tx, call, outcome));
  call.audited = true;
}
