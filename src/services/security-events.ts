import type { Database } from '../db/client';
import { securityEvents } from '../db/schema';
import { newId } from '../lib/ids';
import type { Logger } from '../lib/logger';

export interface SecurityEvent {
  kind: string;
  path?: string | null;
  operation?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  tenantHint?: string | null;
  detail?: Record<string, unknown>;
}

/** Records a refusal that happened before a tenant was known. Never throws: a failure is logged. */
export async function recordSecurityEvent(database: Database, logger: Logger, event: SecurityEvent): Promise<void> {
  try {
    await database.withSystem((tx) =>
      tx.insert(securityEvents).values({
        id: newId(),
        kind: event.kind,
        path: event.path ?? null,
        operation: event.operation ?? null,
        ip: event.ip ?? null,
        userAgent: event.userAgent?.slice(0, 300) ?? null,
        tenantHint: event.tenantHint?.slice(0, 100) ?? null,
        detail: event.detail ?? null,
      }),
    );
  } catch (error) {
    logger.error({ err: error, kind: event.kind }, 'could not record security event');
  }
}
