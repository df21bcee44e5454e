import { bigint, boolean, index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, ts } from './columns';
import { auditOutcomeEnum, callPathEnum } from './enums';
import { tenants } from './tenancy';

/** Default monthly AI budget for model spend: 1,000 cents, in micro-cents. */
export const DEFAULT_AI_BUDGET_MICROCENTS = 1_000_000_000;

/**
 * What a tenant allows its AI agents: a monthly budget for model spend (micro-cents, calendar month
 * in UTC; 0 turns AI calls off) and whether contact PII may be sent to an external model. No row
 * means the defaults.
 */
export const tenantAiSettings = pgTable('tenant_ai_settings', {
  tenantId: uuid('tenant_id')
    .primaryKey()
    .references(() => tenants.id, { onDelete: 'cascade' }),
  monthlyBudgetMicrocents: bigint('monthly_budget_microcents', { mode: 'number' }).notNull().default(DEFAULT_AI_BUDGET_MICROCENTS),
  allowPiiToModel: boolean('allow_pii_to_model').notNull().default(false),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/**
 * One row per agent run (insert and select only). `input_digest` is the HMAC of the run's input,
 * never the input; `output` is plain JSON for agents that read no PII and sealed under the tenant's
 * data key (`output_sealed`) for those that do. `cost_microcents` is the model spend charged.
 */
export const agentRuns = pgTable(
  'agent_runs',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    agent: text('agent').notNull(),
    path: callPathEnum('path').notNull(),
    userId: uuid('user_id'),
    apiKeyId: uuid('api_key_id'),
    targetKind: text('target_kind'),
    targetId: uuid('target_id'),
    inputDigest: text('input_digest').notNull(),
    outcome: auditOutcomeEnum('outcome').notNull(),
    /** `consent_<status>` for a blocked run, the error code for a failed one. */
    reason: text('reason'),
    provider: text('provider').notNull(),
    model: text('model'),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    costMicrocents: bigint('cost_microcents', { mode: 'number' }).notNull().default(0),
    output: jsonb('output').$type<Record<string, unknown>>(),
    outputSealed: boolean('output_sealed').notNull().default(false),
    citations: jsonb('citations').$type<{ kind: string; id: string }[]>().notNull().default([]),
    createdAt: createdAt(),
  },
  (t) => [index('agent_runs_tenant_created_idx').on(t.tenantId, t.createdAt)],
);

/**
 * Model spend held for agent runs whose model call is under way (taken before the call, in a short
 * transaction of its own; released when the run is recorded). A reservation left by a process that
 * died expires at `expires_at`.
 */
export const aiBudgetReservations = pgTable(
  'ai_budget_reservations',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    microcents: bigint('microcents', { mode: 'number' }).notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [index('ai_budget_reservations_tenant_idx').on(t.tenantId, t.expiresAt)],
);
