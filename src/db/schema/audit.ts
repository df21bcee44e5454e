import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, ts } from './columns';
import { auditOutcomeEnum, callPathEnum } from './enums';
import { tenants } from './tenancy';

/**
 * One row per call (GraphQL operation or MCP tool call); insert-only. `seq` is insertion order (a
 * global sequence, not a chain position); `row_mac` authenticates the row's content (null only on
 * rows written before seals existed). The sealer links committed rows into `audit_seals` later.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    at: ts('at').notNull().defaultNow(),
    path: callPathEnum('path').notNull(),
    operation: text('operation').notNull(),
    userId: uuid('user_id'),
    apiKeyId: uuid('api_key_id'),
    client: text('client'),
    argDigest: text('arg_digest').notNull(),
    latencyMs: integer('latency_ms').notNull(),
    resultCount: integer('result_count').notNull().default(0),
    consentHidden: integer('consent_hidden').notNull().default(0),
    outcome: auditOutcomeEnum('outcome').notNull(),
    errorCode: text('error_code'),
    costMicrocents: bigint('cost_microcents', { mode: 'number' }).notNull().default(0),
    rowMac: text('row_mac'),
  },
  (t) => [uniqueIndex('audit_log_tenant_seq_idx').on(t.tenantId, t.seq)],
);

/** Committed audit rows the sealer has not sealed yet (a queue: the app inserts, the sealer deletes). */
export const auditPending = pgTable('audit_pending', {
  auditId: uuid('audit_id').primaryKey(),
  tenantId: uuid('tenant_id').notNull(),
});

/**
 * Signed checkpoints of each tenant's audit log: seal `seq` covers `row_count` rows (listed in
 * `audit_sealed_rows`), `root` hashes their content digests, `hash` links it to the previous seal
 * and `hmac` signs `hash` under a key derived from the master key. Insert-only.
 */
export const auditSeals = pgTable(
  'audit_seals',
  {
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    rowCount: integer('row_count').notNull(),
    firstRowSeq: bigint('first_row_seq', { mode: 'number' }).notNull(),
    lastRowSeq: bigint('last_row_seq', { mode: 'number' }).notNull(),
    root: text('root').notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
    hmac: text('hmac').notNull(),
    sealedAt: ts('sealed_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.seq] })],
);

/** Which seal holds each sealed audit row (a row is in at most one). Insert-only. */
export const auditSealedRows = pgTable(
  'audit_sealed_rows',
  {
    auditId: uuid('audit_id').primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    sealSeq: bigint('seal_seq', { mode: 'number' }).notNull(),
  },
  (t) => [index('audit_sealed_rows_seal_idx').on(t.tenantId, t.sealSeq)],
);

/** Stored results of mutations sent with an `Idempotency-Key`, so a retry is neither applied nor charged twice. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    response: jsonb('response').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.key] })],
);

/** Refusals before a tenant is known (no or bad credentials, foreign Origin, unknown tenant). */
export const securityEvents = pgTable('security_events', {
  id: uuid('id').primaryKey(),
  at: ts('at').notNull().defaultNow(),
  kind: text('kind').notNull(),
  path: text('path'),
  operation: text('operation'),
  ip: text('ip'),
  userAgent: text('user_agent'),
  tenantHint: text('tenant_hint'),
  detail: jsonb('detail').$type<Record<string, unknown>>(),
  /** Events of one kind, path and address in one minute share a row: `count` of them, the first's details, `last_at` the latest. */
  count: integer('count').notNull().default(1),
  /** The minute the row aggregates (null on rows written before aggregation). */
  bucket: ts('bucket'),
  lastAt: ts('last_at'),
}, (t) => [
  uniqueIndex('security_events_bucket_idx').on(t.kind, sql`coalesce(${t.path}, '')`, sql`coalesce(${t.ip}, '')`, t.bucket),
]);

/** Per-call cost in integer micro-cents (1 cent = 1,000,000). */
export const usageLedger = pgTable(
  'usage_ledger',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    at: ts('at').notNull().defaultNow(),
    path: callPathEnum('path').notNull(),
    operation: text('operation').notNull(),
    auditId: uuid('audit_id'),
    costMicrocents: bigint('cost_microcents', { mode: 'number' }).notNull(),
    idempotencyKey: text('idempotency_key'),
  },
  (t) => [index('usage_ledger_tenant_at_idx').on(t.tenantId, t.at)],
);
