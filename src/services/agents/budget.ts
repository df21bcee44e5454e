import { and, eq, gte, sql } from 'drizzle-orm';
import { DEFAULT_AI_BUDGET_MICROCENTS, agentRuns, tenantAiSettings } from '../../db/schema';
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
}

/** The first instant of `now`'s calendar month in UTC, and of the next one. */
export function monthOf(now: Date): { start: Date; next: Date } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { start, next };
}

export async function aiSettings(ctx: ServiceContext): Promise<AiSettings> {
  const [row] = await ctx.tx
    .select({ monthlyBudgetMicrocents: tenantAiSettings.monthlyBudgetMicrocents, allowPiiToModel: tenantAiSettings.allowPiiToModel })
    .from(tenantAiSettings)
    .where(eq(tenantAiSettings.tenantId, ctx.principal.tenantId))
    .limit(1);
  return row ?? { monthlyBudgetMicrocents: DEFAULT_AI_BUDGET_MICROCENTS, allowPiiToModel: false };
}

/** The settings with this month's model spend (the sum of the month's agent runs). */
export async function aiBudget(ctx: ServiceContext, now = new Date()): Promise<AiBudget> {
  const settings = await aiSettings(ctx);
  const { start } = monthOf(now);
  const [row] = await ctx.tx
    .select({ spent: sql<string>`coalesce(sum(${agentRuns.costMicrocents}), 0)` })
    .from(agentRuns)
    .where(and(eq(agentRuns.tenantId, ctx.principal.tenantId), gte(agentRuns.createdAt, start)));
  return { ...settings, month: start.toISOString().slice(0, 10), spentMicrocents: Number(row?.spent ?? 0) };
}

const cents = (microcents: number) => toCents(microcents).toFixed(2);

/**
 * Refuses an AI call once the month's model spend reached the budget (AI_BUDGET_EXCEEDED, audited as
 * denied). Checked before each call: calls running at the same moment may overshoot by their own spend.
 */
export async function assertWithinBudget(ctx: ServiceContext, now = new Date()): Promise<AiBudget> {
  const budget = await aiBudget(ctx, now);
  if (budget.spentMicrocents >= budget.monthlyBudgetMicrocents) {
    const resumes = monthOf(now).next.toISOString().slice(0, 10);
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
