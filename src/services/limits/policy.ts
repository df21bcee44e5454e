import { ErrorCode, PactError } from '../../lib/errors';

/** A sliding-window store: `hit` admits a call when fewer than `limit` calls were admitted in the last `windowMs`. */
export interface WindowStore {
  hit(key: string, limit: number, windowMs: number): Promise<{ allowed: boolean; retryAfterMs: number }>;
  close(): Promise<void>;
}

export interface LimitPolicy {
  /** Calls per minute for one tenant, all operations together. */
  tenantPerMin: number;
  /** Calls per minute for one tenant and one operation (root field or tool), unless the operation declares its own. */
  operationPerMin: number;
}

export const DEFAULT_LIMITS: LimitPolicy = { tenantPerMin: 1200, operationPerMin: 600 };

const WINDOW_MS = 60_000;

/** The RATE_LIMITED error of the wire contract: HTTP 429, `Retry-After`, and the limit that refused. */
export function rateLimited(scope: string, limit: number, retryAfterMs: number): PactError {
  const retryAfterS = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const error = new PactError(ErrorCode.RateLimited, `Rate limit exceeded for ${scope}: ${limit} calls per ${WINDOW_MS / 1000} s. Retry after ${retryAfterS} s.`, {
    retry_after_s: retryAfterS,
    limit,
    window_s: WINDOW_MS / 1000,
    scope,
  });
  error.extensions.http = { status: 429, headers: { 'Retry-After': String(retryAfterS) } };
  return error;
}

/**
 * Admits a call of `operations` for a tenant, or returns the error of the first limit it exceeds.
 * Keys are tenant + operation name (root fields on GraphQL, the tool on MCP), never client-chosen names;
 * a tenant's keys share the `{tenantId}` hash tag, so they live in one Redis Cluster slot.
 */
export async function admit(
  store: WindowStore,
  policy: LimitPolicy,
  tenantId: string,
  operations: { name: string; perMin?: number | undefined }[],
): Promise<PactError | null> {
  const tenant = await store.hit(`{${tenantId}}`, policy.tenantPerMin, WINDOW_MS);
  if (!tenant.allowed) return rateLimited('tenant', policy.tenantPerMin, tenant.retryAfterMs);
  for (const op of operations) {
    const limit = op.perMin ?? policy.operationPerMin;
    const result = await store.hit(`{${tenantId}}:op:${op.name}`, limit, WINDOW_MS);
    if (!result.allowed) return rateLimited(`operation:${op.name}`, limit, result.retryAfterMs);
  }
  return null;
}
