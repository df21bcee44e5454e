
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  customType,
  date,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/** Binary column (ciphertexts, wrapped keys); Buffer on both drivers. */
export const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const createdAt = () => ts('created_at').notNull().defaultNow();

export const roleEnum = pgEnum('member_role', ['owner', 'admin', 'manager', 'member']);
export const dealStageEnum = pgEnum('deal_stage', [
  'prospecting',
  'qualification',
  'proposal',
  'negotiation',
  'closed_won',
  'closed_lost',
]);
export const activityKindEnum = pgEnum('activity_kind', ['note', 'call', 'email', 'meeting', 'task']);
export const consentKindEnum = pgEnum('consent_subject_kind', ['email', 'domain']);
export const consentStatusEnum = pgEnum('consent_status', ['granted', 'suppressed', 'withdrawn', 'erased']);
export const auditOutcomeEnum = pgEnum('audit_outcome', ['ok', 'denied', 'blocked', 'rate_limited', 'error']);
export const callPathEnum = pgEnum('call_path', ['graphql', 'mcp', 'ui']);
export const keyStatusEnum = pgEnum('tenant_key_status', ['active', 'retired', 'revoked']);

/** Tenants; visible to the application role only as the bound tenant. */
export const tenants = pgTable('tenants', {
  id: uuid('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  createdAt: createdAt(),
});

/** People who sign in; global, a user may belong to several tenants. */
export const users = pgTable('users', {
  id: uuid('id').primaryKey(),
  email: text('email').notNull().unique(),
  displayName: text('display_name').notNull(),
  passwordHash: text('password_hash').notNull(),
  createdAt: createdAt(),
});

export const memberships = pgTable(
  'memberships',
  {
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    role: roleEnum('role').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId] }), index('memberships_user_idx').on(t.userId)],
);

/** Scoped API keys; only a SHA-256 of the secret is kept. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    secretHash: text('secret_hash').notNull(),
    scopes: text('scopes').array().notNull(),
    createdByUserId: uuid('created_by_user_id').references(() => users.id, { onDelete: 'set null' }),
    isDemo: boolean('is_demo').notNull().default(false),
    trustedDocumentsOnly: boolean('trusted_documents_only').notNull().default(false),
    createdAt: createdAt(),
    lastUsedAt: ts('last_used_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('api_keys_secret_hash_idx').on(t.secretHash), index('api_keys_tenant_idx').on(t.tenantId, t.id)],
);

/** Signed-in user sessions (browser cookie or `pact_sess_` bearer); only a SHA-256 of the token is kept. */
export const userSessions = pgTable(
  'user_sessions',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    kind: text('kind', { enum: ['browser', 'token'] }).notNull(),
    createdAt: createdAt(),
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('user_sessions_token_hash_idx').on(t.tokenHash)],
);

export const accounts = pgTable(
  'accounts',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    domain: text('domain'),
    industry: text('industry'),
    ownerId: uuid('owner_id').references(() => users.id, { onDelete: 'set null' }),
    employeeCount: integer('employee_count'),
    /** Maintained by database triggers from consent_subjects; never written by the application. */
    consentHidden: boolean('consent_hidden').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('accounts_tenant_id_idx').on(t.tenantId, t.id),
    index('accounts_tenant_domain_idx').on(t.tenantId, t.domain),
    index('accounts_tenant_owner_idx').on(t.tenantId, t.ownerId),
    index('accounts_visible_idx').on(t.tenantId, t.id).where(sql`consent_hidden = false`),
    /** Full-text search over non-PII fields only (agents' retrieval); services/agents/search.ts uses the same expression. */
    index('accounts_search_idx').using('gin', sql`to_tsvector('english'::regconfig, ${t.name} || ' ' || coalesce(${t.domain}, '') || ' ' || coalesce(${t.industry}, ''))`),
  ],
);

/**
 * Contacts. Name, e-mail and phone exist only inside `pii` (AES-256-GCM under the tenant's data key
 * version `key_version`); `email_index` is the tenant's HMAC blind index of the normalised e-mail.
 */
export const contacts = pgTable(
  'contacts',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    accountId: uuid('account_id').references(() => accounts.id, { onDelete: 'set null' }),
    ownerId: uuid('owner_id').references(() => users.id, { onDelete: 'set null' }),
    title: text('title'),
    pii: bytea('pii'),
    keyVersion: integer('key_version'),
    emailIndex: text('email_index'),
    /** Maintained by database triggers from consent_subjects; never written by the application. */
    consentHidden: boolean('consent_hidden').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('contacts_tenant_id_idx').on(t.tenantId, t.id),
    index('contacts_tenant_email_idx').on(t.tenantId, t.emailIndex),
    index('contacts_tenant_account_idx').on(t.tenantId, t.accountId),
    index('contacts_visible_idx').on(t.tenantId, t.id).where(sql`consent_hidden = false`),
  ],
);

export const deals = pgTable(
  'deals',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    accountId: uuid('account_id').notNull().references(() => accounts.id, { onDelete: 'cascade' }),
    ownerId: uuid('owner_id').references(() => users.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
    stage: dealStageEnum('stage').notNull(),
    amountCents: bigint('amount_cents', { mode: 'number' }).notNull(),
    probability: integer('probability').notNull(),
    closeDate: date('close_date', { mode: 'string' }),
    /** Maintained by database triggers from consent_subjects; never written by the application. */
    consentHidden: boolean('consent_hidden').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('deals_tenant_id_idx').on(t.tenantId, t.id),
    index('deals_tenant_account_idx').on(t.tenantId, t.accountId),
    index('deals_tenant_stage_idx').on(t.tenantId, t.stage),
    index('deals_visible_idx').on(t.tenantId, t.id).where(sql`consent_hidden = false`),
    /** Full-text search over the deal name (no PII); services/agents/search.ts uses the same expression. */
    index('deals_search_idx').using('gin', sql`to_tsvector('english'::regconfig, ${t.name})`),
  ],
);

export const activities = pgTable(
  'activities',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    kind: activityKindEnum('kind').notNull(),
    subject: text('subject').notNull(),
    body: text('body'),
    accountId: uuid('account_id').references(() => accounts.id, { onDelete: 'cascade' }),
    contactId: uuid('contact_id').references(() => contacts.id, { onDelete: 'cascade' }),
    dealId: uuid('deal_id').references(() => deals.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    occurredAt: ts('occurred_at').notNull().defaultNow(),
    createdAt: createdAt(),
  },
  (t) => [
    index('activities_tenant_id_idx').on(t.tenantId, t.id),
    index('activities_tenant_deal_idx').on(t.tenantId, t.dealId),
    index('activities_tenant_account_idx').on(t.tenantId, t.accountId),
  ],
);

/**
 * Consent per data subject: a contact's e-mail (keyed by the tenant's e-mail blind index, never the
 * address) or an account's domain. No row means granted.
 */
export const consentSubjects = pgTable(
  'consent_subjects',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    kind: consentKindEnum('kind').notNull(),
    subjectKey: text('subject_key').notNull(),
    status: consentStatusEnum('status').notNull(),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('consent_subjects_key_idx').on(t.tenantId, t.kind, t.subjectKey)],
);

export const consentEvents = pgTable(
  'consent_events',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    subjectId: uuid('subject_id').notNull().references(() => consentSubjects.id, { onDelete: 'cascade' }),
    fromStatus: consentStatusEnum('from_status'),
    toStatus: consentStatusEnum('to_status').notNull(),
    reason: text('reason'),
    actorUserId: uuid('actor_user_id'),
    actorApiKeyId: uuid('actor_api_key_id'),
    createdAt: createdAt(),
  },
  (t) => [index('consent_events_subject_idx').on(t.tenantId, t.subjectId, t.createdAt)],
);

/** Records hidden by consent per tenant and list (`accounts`, `contacts`, `deals`); maintained by triggers. */
export const consentCounts = pgTable(
  'consent_counts',
  {
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    list: text('list').notNull(),
    hidden: bigint('hidden', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.list] })],
);

/** Versioned per-tenant data keys, each wrapped by the tenant's key-encryption key. */
export const tenantKeys = pgTable(
  'tenant_keys',
  {
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    provider: text('provider').notNull(),
    wrappedKey: bytea('wrapped_key').notNull(),
    status: keyStatusEnum('status').notNull(),
    encryptions: bigint('encryptions', { mode: 'number' }).notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.version] })],
);

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

export const tenantTables = [
  'tenants',
  'memberships',
  'api_keys',
  'accounts',
  'contacts',
  'deals',
  'activities',
  'consent_subjects',
  'consent_events',
  'tenant_keys',
  'audit_log',
  'usage_ledger',
  'consent_counts',
  'audit_pending',
  'audit_seals',
  'audit_sealed_rows',
  'idempotency_keys',
  'contact_search_tokens',
  'tenant_key_material',
  'tenant_key_rotations',
  'tenant_ai_settings',
  'agent_runs',
  'erased_contacts',
] as const;

/**
 * Per-tenant HMAC tokens (blind index, kind `tok`) of the lowercase words of a contact's name and
 * e-mail; `piiSearch` matches contacts holding every token of the query. Deleted with the contact.
 */
export const contactSearchTokens = pgTable(
  'contact_search_tokens',
  {
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    contactId: uuid('contact_id').notNull().references(() => contacts.id, { onDelete: 'cascade' }),
    token: text('token').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.token, t.contactId] }), index('contact_search_tokens_contact_idx').on(t.contactId)],
);

/**
 * The words of each contact's title (`pact_title_words`), one row per word, with the contact's
 * consent flag: written only by database triggers on `contacts` (migration search_tokens), so a
 * title search and its hidden count are btree range scans on equality (leakproof under forced RLS).
 */
export const contactTitleTokens = pgTable(
  'contact_title_tokens',
  {
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    token: text('token').notNull(),
    hidden: boolean('hidden').notNull(),
    contactId: uuid('contact_id').notNull().references(() => contacts.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.token, t.hidden, t.contactId] }), index('contact_title_tokens_contact_idx').on(t.contactId)],
);

/**
 * A tenant's own key material (BYOK), used as its key-encryption key. Stored only wrapped by the
 * local/KMS provider; `wrapped_material` is destroyed (null) when the tenant revokes its key.
 */
export const tenantKeyMaterial = pgTable('tenant_key_material', {
  tenantId: uuid('tenant_id')
    .primaryKey()
    .references(() => tenants.id, { onDelete: 'cascade' }),
  provider: text('provider').notNull(),
  wrappedMaterial: bytea('wrapped_material'),
  status: text('status', { enum: ['active', 'revoked'] }).notNull(),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/**
 * Key rotations: the target version and how far re-encryption got (`cursor`, the last contact id
 * done), so a killed rotation resumes where it stopped. At most one is `running` per tenant.
 */
export const tenantKeyRotations = pgTable(
  'tenant_key_rotations',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    targetVersion: integer('target_version').notNull(),
    reason: text('reason', { enum: ['requested', 'threshold'] }).notNull(),
    status: text('status', { enum: ['running', 'done', 'superseded', 'aborted'] }).notNull(),
    cursor: uuid('cursor'),
    reencrypted: bigint('reencrypted', { mode: 'number' }).notNull().default(0),
    /** Rows of the current pass whose ciphertext did not open (tampered); left under their version. */
    unreadable: bigint('unreadable', { mode: 'number' }).notNull().default(0),
    batches: integer('batches').notNull().default(0),
    startedAt: ts('started_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    index('tenant_key_rotations_tenant_idx').on(t.tenantId, t.startedAt),
    uniqueIndex('tenant_key_rotations_running_idx').on(t.tenantId).where(sql`status = 'running'`),
  ],
);

/**
 * OAuth clients: registered dynamically (RFC 7591), or known by a Client ID Metadata Document
 * (`client_id` is the document's URL; the row caches the validated document until
 * `metadata_expires_at`). Global, read by the authorization server only (no grant to the
 * application role). A confidential client's secret is kept sealed by the deployment's master
 * key, never in plaintext.
 */
export const oauthClients = pgTable('oauth_clients', {
  clientId: text('client_id').primaryKey(),
  kind: text('kind', { enum: ['registered', 'metadata_document'] })
    .notNull()
    .default('registered'),
  metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull(),
  redirectUris: text('redirect_uris').array().notNull(),
  secretSealed: bytea('secret_sealed'),
  secretExpiresAt: ts('secret_expires_at'),
  /** A metadata-document client's cache expiry: fetched again after it. */
  metadataExpiresAt: ts('metadata_expires_at'),
  createdAt: createdAt(),
});

/**
 * An authorization request between `/oauth/authorize` and the user's decision: the validated
 * parameters, and the user once signed in. Short-lived; its id travels in the sign-in and consent
 * pages' URLs.
 */
export const oauthRequests = pgTable('oauth_requests', {
  id: text('id').primaryKey(),
  clientId: text('client_id')
    .notNull()
    .references(() => oauthClients.clientId, { onDelete: 'cascade' }),
  redirectUri: text('redirect_uri').notNull(),
  state: text('state'),
  scopes: text('scopes').array().notNull(),
  codeChallenge: text('code_challenge').notNull(),
  resource: text('resource').notNull(),
  userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
  createdAt: createdAt(),
  expiresAt: ts('expires_at').notNull(),
  decidedAt: ts('decided_at'),
});

/** Authorization codes (only a SHA-256 kept); single use, bound to client, redirect, PKCE challenge, tenant and resource. */
export const oauthCodes = pgTable('oauth_codes', {
  codeHash: text('code_hash').primaryKey(),
  clientId: text('client_id')
    .notNull()
    .references(() => oauthClients.clientId, { onDelete: 'cascade' }),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  tenantId: uuid('tenant_id')
    .notNull()
    .references(() => tenants.id, { onDelete: 'cascade' }),
  redirectUri: text('redirect_uri').notNull(),
  scopes: text('scopes').array().notNull(),
  codeChallenge: text('code_challenge').notNull(),
  resource: text('resource').notNull(),
  /** The token family minted from this code; a replayed code revokes it. */
  familyId: uuid('family_id').notNull(),
  createdAt: createdAt(),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
});

/**
 * OAuth access and refresh tokens (only a SHA-256 kept). A family is every token descending from
 * one authorization code; a rotated refresh token presented again revokes the whole family.
 */
export const oauthTokens = pgTable(
  'oauth_tokens',
  {
    id: uuid('id').primaryKey(),
    tokenHash: text('token_hash').notNull(),
    kind: text('kind', { enum: ['access', 'refresh'] }).notNull(),
    familyId: uuid('family_id').notNull(),
    clientId: text('client_id')
      .notNull()
      .references(() => oauthClients.clientId, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    scopes: text('scopes').array().notNull(),
    resource: text('resource').notNull(),
    createdAt: createdAt(),
    expiresAt: ts('expires_at').notNull(),
    /** A refresh token's use (rotation); a second use is a replay. */
    usedAt: ts('used_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('oauth_tokens_hash_idx').on(t.tokenHash), index('oauth_tokens_family_idx').on(t.familyId)],
);

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

/**
 * Contacts deleted by an e-mail erasure: the contact id and its (erased) consent subject, nothing
 * derived from the address, so an agent given a deleted contact's id can answer `consent_erased`.
 */
export const erasedContacts = pgTable(
  'erased_contacts',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    contactId: uuid('contact_id').notNull(),
    subjectId: uuid('subject_id')
      .notNull()
      .references(() => consentSubjects.id, { onDelete: 'cascade' }),
    erasedAt: ts('erased_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.contactId] })],
);
