import { ErrorCode, PactError } from '../../lib/errors';

/** A sliding-window store: `hit` admits a call when fewer than `limit` calls were admitted in the last `windowMs`. */
export interface WindowStore {
  hit(key: string, limit: number, windowMs: number): Promise<{ allowed: boolean; retryAfterMs: number }>;
  close(): Promise<void>;
}

export interface LimitPolicy {
  /** Calls per minute for one tenant, all operations together. */
  tenantPerMin: number;
  /** Calls per minute for one tenant and one root field that declares no `@rateLimit`. */
  operationPerMin: number;
  /** Calls per minute for one tenant and the named root field, in place of its `@rateLimit` (a deployment's override). */
  fieldPerMin?: Readonly<Record<string, number>>;
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

/** A root field's limit: the deployment's override, else the field's `@rateLimit` (`declared`), else the default. */
function fieldLimit(policy: LimitPolicy, field: string, declared: number | undefined): number {
  const override = policy.fieldPerMin && Object.hasOwn(policy.fieldPerMin, field) ? policy.fieldPerMin[field] : undefined;
  return override ?? declared ?? policy.operationPerMin;
}

/**
 * Admits a call of the root fields `operations` (each with its declared `@rateLimit` as `perMin`)
 * for a tenant, or returns the error of the first limit it exceeds. Keys are tenant + root field
 * name on every path (an MCP tool counts under its operation's root field), never client-chosen
 * names; a tenant's keys share the `{tenantId}` hash tag, so they live in one Redis Cluster slot.
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
    const limit = fieldLimit(policy, op.name, op.perMin);
    const result = await store.hit(`{${tenantId}}:op:${op.name}`, limit, WINDOW_MS);
    if (!result.allowed) return rateLimited(`operation:${op.name}`, limit, result.retryAfterMs);
  }
  return null;
}
