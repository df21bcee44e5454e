import { and, eq, gt, gte, lt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { DEFAULT_AI_BUDGET_MICROCENTS, agentRuns, aiBudgetReservations, tenantAiSettings } from '../../db/schema';
import type { Clock } from '../../lib/clock';
import { newId } from '../../lib/ids';
import { ErrorCode, PactError, badInput } from '../../lib/errors';
import { toCents, toMicrocents } from '../audit/call';
import type { ServiceContext } from '../context';

/** What a tenant allows its AI agents. */
export interface AiSettings {
  /** Model spend allowed per calendar month (UTC), in micro-cents; 0 turns AI calls off. */
  monthlyBudgetMicrocents: number;
  /** Contact PII may be sent to an external model (agents that read PII, after the consent gate). */
  allowPiiToModel: boolean;
}

export interface AiBudget extends AiSettings {
  /** The first day of the budget's month (UTC), YYYY-MM-DD. */
  month: string;
  spentMicrocents: number;
  /** Held for runs whose model is answering right now (at most their largest possible spend). */
  reservedMicrocents: number;
}

/** How long a reservation holds budget if its run is never recorded (a process killed mid-call). */
export const RESERVATION_TTL_MS = 10 * 60_000;

/** The first instant of `now`'s calendar month in UTC, and of the next one. */
export function monthOf(now: Date): { start: Date; next: Date } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { start, next };
}

export async function aiSettings(ctx: ServiceContext, tx: Db = ctx.tx): Promise<AiSettings> {
  const [row] = await tx
    .select({ monthlyBudgetMicrocents: tenantAiSettings.monthlyBudgetMicrocents, allowPiiToModel: tenantAiSettings.allowPiiToModel })
    .from(tenantAiSettings)
    .where(eq(tenantAiSettings.tenantId, ctx.principal.tenantId))
    .limit(1);
  return row ?? { monthlyBudgetMicrocents: DEFAULT_AI_BUDGET_MICROCENTS, allowPiiToModel: false };
}

/**
 * The settings with this month's model spend (the sum of the agent runs stamped in the clock's
 * month: runs take their time from the same clock) and live reservations. The month is the
 * injected clock's; a reservation's expiry is wall time (it guards against a process killed mid-call).
 */
export async function aiBudget(ctx: ServiceContext, clock: Clock, tx: Db = ctx.tx): Promise<AiBudget> {
  const settings = await aiSettings(ctx, tx);
  const { start, next } = monthOf(clock.now());
  const now = new Date();
  const tenant = ctx.principal.tenantId;
  const [row] = await tx
    .select({
      spent: sql<string>`coalesce(sum(${agentRuns.costMicrocents}), 0)`,
      reserved: sql<string>`(select coalesce(sum(${aiBudgetReservations.microcents}), 0) from ${aiBudgetReservations} where ${and(eq(aiBudgetReservations.tenantId, tenant), gt(aiBudgetReservations.expiresAt, now))})`,
    })
    .from(agentRuns)
    .where(and(eq(agentRuns.tenantId, tenant), gte(agentRuns.createdAt, start), lt(agentRuns.createdAt, next)));
  return { ...settings, month: start.toISOString().slice(0, 10), spentMicrocents: Number(row?.spent ?? 0), reservedMicrocents: Number(row?.reserved ?? 0) };
}

const cents = (microcents: number) => toCents(microcents).toFixed(2);

/**
 * Refuses an AI call once the month's model spend, with the reservations of runs under way, reached
 * the budget (AI_BUDGET_EXCEEDED, audited as denied).
 */
export async function assertWithinBudget(ctx: ServiceContext, clock: Clock, tx: Db = ctx.tx): Promise<AiBudget> {
  const budget = await aiBudget(ctx, clock, tx);
  if (budget.spentMicrocents + budget.reservedMicrocents >= budget.monthlyBudgetMicrocents) {
    const resumes = monthOf(clock.now()).next.toISOString().slice(0, 10);
    throw new PactError(
      ErrorCode.AiBudgetExceeded,
      budget.monthlyBudgetMicrocents === 0
        ? 'AI calls are turned off for this workspace (monthly AI budget 0). An owner or admin can set a budget with updateAiSettings.'
        : `The workspace's monthly AI budget of ${cents(budget.monthlyBudgetMicrocents)} cents is spent (${cents(budget.spentMicrocents)} cents since ${budget.month}). AI calls resume on ${resumes}, or when an owner or admin raises the budget (updateAiSettings).`,
      { budget_cents: toCents(budget.monthlyBudgetMicrocents), spent_cents: toCents(budget.spentMicrocents), resets_on: resumes },
    );
  }
  return budget;
}

/**
 * Holds `microcents` of the month's budget for a run about to call its model, so that runs at the
 * same moment see each other: the check and the hold are one short transaction, serialised per
 * tenant by an advisory lock. Refused (AI_BUDGET_EXCEEDED) as `assertWithinBudget` refuses, counting
 * other runs' holds as spent. `detached`: the call's own transaction is not open (see
 * `outsideTransaction`), so the hold commits at once; otherwise it is taken in the call's transaction.
 */
export async function reserveBudget(ctx: ServiceContext, clock: Clock, microcents: number, detached: boolean): Promise<string | null> {
  if (microcents <= 0) return null;
  const hold = async (tx: Db) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`ai-budget:${ctx.principal.tenantId}`}, 0))`);
    await assertWithinBudget(ctx, clock, tx);
    const id = newId();
    await tx.insert(aiBudgetReservations).values({ id, tenantId: ctx.principal.tenantId, microcents, expiresAt: new Date(Date.now() + RESERVATION_TTL_MS) });
    return id;
  };
  return inBudgetTransaction(ctx, detached, hold);
}

/** Gives a reservation back (its run recorded its real spend, or failed); `detached` as for `reserveBudget`. */
export async function releaseBudget(ctx: ServiceContext, id: string | null, detached: boolean): Promise<void> {
  if (id === null) return;
  await inBudgetTransaction(ctx, detached, (tx) => tx.delete(aiBudgetReservations).where(eq(aiBudgetReservations.id, id)));
}

/** Runs `fn` in a short transaction of its own when the call's is not open (`detached`), else in the call's. */
const inBudgetTransaction = <T>(ctx: ServiceContext, detached: boolean, fn: (tx: Db) => Promise<T>): Promise<T> =>
  detached ? ctx.database.withTenant(ctx.principal.tenantId, fn) : fn(ctx.tx);

export interface AiSettingsInput {
  monthlyBudgetCents?: number | null | undefined;
  allowPiiToModel?: boolean | null | undefined;
}

const MAX_BUDGET_CENTS = 1e9;

/** Changes the tenant's AI settings (owners and admins); fields left out keep their value. */
export async function updateAiSettings(ctx: ServiceContext, input: AiSettingsInput): Promise<AiSettings> {
  const current = await aiSettings(ctx);
  let budget = current.monthlyBudgetMicrocents;
  if (input.monthlyBudgetCents !== undefined && input.monthlyBudgetCents !== null) {
    const value = input.monthlyBudgetCents;
    if (!Number.isFinite(value) || value < 0 || value > MAX_BUDGET_CENTS) {
      throw badInput(ErrorCode.BadUserInput, `\`monthlyBudgetCents\` must be between 0 and ${MAX_BUDGET_CENTS}.`, { field: 'monthlyBudgetCents' });
    }
    budget = toMicrocents(value);
  }
  const next = { monthlyBudgetMicrocents: budget, allowPiiToModel: input.allowPiiToModel ?? current.allowPiiToModel };
  await ctx.tx
    .insert(tenantAiSettings)
    .values({ tenantId: ctx.principal.tenantId, ...next, updatedAt: new Date() })
    .onConflictDoUpdate({ target: tenantAiSettings.tenantId, set: { ...next, updatedAt: new Date() } });
  return next;
}
