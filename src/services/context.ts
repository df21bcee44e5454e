import type { Database, Db } from '../db/client';
import type { CursorCodec } from '../lib/cursor';
import type { CallMetrics } from './audit/call';
import type { Principal } from './auth/principal';
import type { KeyService } from './keys/tenant-keys';

/** What every service call gets: the caller, the caller's tenant-bound transaction, and shared helpers. */
export interface ServiceContext {
  principal: Principal;
  /** The request's transaction, bound to `principal.tenantId` under the application role. */
  tx: Db;
  database: Database;
  keys: KeyService;
  cursors: CursorCodec;
  /** The running call's counters (result count, consent-hidden count) for its audit row. */
  metrics?: CallMetrics;
  /**
   * Set by the pipeline when the call may leave its transaction: commits the work so far, runs
   * `work` holding no database connection, and returns once `tx` is a new transaction of the tenant.
   */
  outside?: <T>(work: () => Promise<T>) => Promise<T>;
}

/**
 * Runs slow work that needs no database (a model call) outside the call's transaction when the
 * pipeline allows it, so that no pooled connection, and on the embedded database no other request,
 * waits for it; otherwise inside. `detached` tells `work` whether it may open transactions of its own.
 */
export function outsideTransaction<T>(ctx: ServiceContext, work: (detached: boolean) => Promise<T>): Promise<T> {
  return ctx.outside ? ctx.outside(() => work(true)) : work(false);
}

/** Reports records returned and records hidden by consent to the running call. */
export function record(ctx: ServiceContext, returned: number, hidden = 0): void {
  if (!ctx.metrics) return;
  ctx.metrics.resultCount += returned;
  ctx.metrics.consentHidden += hidden;
}

/**
 * Marks the running call blocked by consent (`consent_withdrawn`, `consent_suppressed`,
 * `consent_erased`): it answers with data, is audited as `blocked` and is not charged.
 */
export function markBlocked(ctx: ServiceContext, reason: string): void {
  if (ctx.metrics) ctx.metrics.blocked = reason;
}

/** Adds metered spend (integer micro-cents: a model's, a federated tool's estimate) to the running call's cost, on top of its declared cost. */
export function chargeModelSpend(ctx: ServiceContext, microcents: number): void {
  if (!Number.isSafeInteger(microcents) || microcents < 0) throw new Error(`model spend must be whole micro-cents, not ${microcents}`);
  if (ctx.metrics) ctx.metrics.modelCostMicrocents += microcents;
}
