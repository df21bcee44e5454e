import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, ts } from './columns';
import { tenants } from './tenancy';

/** A credential sealed under the tenant's data key (the shape of `SealedJson` in services/keys). */
export interface SealedSecretColumn {
  sealed: 'pact:v1';
  v: number;
  c: string;
}

/**
 * An author's MCP server published into a tenant (`pact mcp publish`). `auth_secret` is the upstream
 * credential sealed under the tenant's data key; it is never returned. `status`: `pending` until the
 * first discovery, `active` after a successful one, `error` when the last discovery failed
 * (`last_error` says why; the tools found earlier are kept).
 */
export const federatedServers = pgTable(
  'federated_servers',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    endpointUrl: text('endpoint_url').notNull(),
    /** `streamable_http` | `sse`. */
    transport: text('transport').notNull(),
    /** `none` | `bearer` | `header`. */
    authKind: text('auth_kind').notNull(),
    /** The header carrying the secret when `auth_kind = 'header'`. */
    authHeader: text('auth_header'),
    authSecret: jsonb('auth_secret').$type<SealedSecretColumn>(),
    status: text('status').notNull().default('pending'),
    lastError: text('last_error'),
    /** The protocol revision the last discovery negotiated. */
    protocolVersion: text('protocol_version'),
    discoveredAt: ts('discovered_at'),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('federated_servers_tenant_slug_idx').on(t.tenantId, t.slug)],
);

/**
 * A tool discovered on a federated server, with the governance its `pact.toml` entry applied.
 * `federated_name` is `<slug>__<tool>` (unique per tenant, at most 64 characters). `definition_hash`
 * is the SHA-256 of the tool's canonical definition (name, description, schemas, annotations);
 * `approved_hash` is the definition an owner or admin last accepted: a tool is callable only when
 * `enabled` and the two are equal. `disabled_reason` says why a tool is off (`no_entry`,
 * `disabled_in_config`, `definition_changed`, `removed_upstream`). Costs are micro-cents.
 */
export const federatedTools = pgTable(
  'federated_tools',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    serverId: uuid('server_id')
      .notNull()
      .references(() => federatedServers.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    federatedName: text('federated_name').notNull(),
    title: text('title'),
    description: text('description').notNull().default(''),
    inputSchema: jsonb('input_schema').$type<Record<string, unknown>>().notNull(),
    outputSchema: jsonb('output_schema').$type<Record<string, unknown>>(),
    annotations: jsonb('annotations').$type<Record<string, unknown>>(),
    /** What the upstream declared under `_meta["dev.pact/governance"]` (cost, rate limit, consent subject), if anything. */
    upstreamGovernance: jsonb('upstream_governance').$type<Record<string, unknown>>(),
    definitionHash: text('definition_hash').notNull(),
    approvedHash: text('approved_hash'),
    enabled: boolean('enabled').notNull().default(false),
    disabledReason: text('disabled_reason'),
    allowedRoles: text('allowed_roles')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    rateLimitPerMin: integer('rate_limit_per_min').notNull().default(60),
    /** Per-tenant daily budget for this tool; null = no cap. */
    costCapMicrocents: bigint('cost_cap_microcents', { mode: 'number' }),
    estCostMicrocents: bigint('est_cost_microcents', { mode: 'number' }).notNull().default(0),
    /** `redact` | `allow` | `block`. */
    piiPolicy: text('pii_policy').notNull().default('redact'),
    /** The argument naming the data subject Pact's consent gate checks before the call, or null. */
    consentSubject: text('consent_subject'),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('federated_tools_server_name_idx').on(t.serverId, t.name),
    uniqueIndex('federated_tools_tenant_federated_name_idx').on(t.tenantId, t.federatedName),
    index('federated_tools_tenant_idx').on(t.tenantId, t.enabled),
  ],
);
