import { searchAudit, type AuditEntry, type AuditPage } from '../../services/audit/search';
import { builder } from '../builder';
import { svc } from '../context';

const AuditPathEnum = builder.enumType('AuditPath', {
  description: 'The door a call came through: the GraphQL API, an MCP tool, or the web console.',
  values: { GRAPHQL: { value: 'graphql' }, MCP: { value: 'mcp' }, UI: { value: 'ui' } } as const,
});

const AuditOutcomeEnum = builder.enumType('AuditOutcome', {
  values: { OK: { value: 'ok' }, DENIED: { value: 'denied' }, BLOCKED: { value: 'blocked' }, RATE_LIMITED: { value: 'rate_limited' }, ERROR: { value: 'error' } } as const,
});

const AuditEntryRef = builder.objectRef<AuditEntry>('AuditEntry').implement({
  description: 'One audited call. The argument digest and row MAC stay server-side (the verification checks them).',
  fields: (t) => ({
    id: t.exposeID('id'),
    seq: t.exposeFloat('seq', { description: 'Insertion order.' }),
    at: t.expose('at', { type: 'DateTime' }),
    path: t.field({ type: AuditPathEnum, resolve: (e) => e.path }),
    operation: t.exposeString('operation', { description: 'The GraphQL operation or MCP tool name.' }),
    userId: t.exposeID('userId', { nullable: true }),
    userEmail: t.exposeString('userEmail', { nullable: true }),
    apiKeyId: t.exposeID('apiKeyId', { nullable: true }),
    client: t.exposeString('client', { nullable: true }),
    outcome: t.field({ type: AuditOutcomeEnum, resolve: (e) => e.outcome }),
    errorCode: t.exposeString('errorCode', { nullable: true }),
    latencyMs: t.exposeInt('latencyMs'),
    resultCount: t.exposeInt('resultCount'),
    consentHidden: t.exposeInt('consentHidden'),
    costCents: t.exposeFloat('costCents', { description: 'What the call was charged, in cents.' }),
    sealed: t.exposeBoolean('sealed', { description: 'Linked into a signed seal yet (rows are sealed within seconds).' }),
  }),
});

const AuditPageRef = builder.objectRef<AuditPage>('AuditLogPage').implement({
  description: 'A page of audit rows, newest first.',
  fields: (t) => ({
    items: t.field({ type: [AuditEntryRef], resolve: (p) => p.items }),
    returned: t.exposeInt('returned'),
    hasMore: t.exposeBoolean('hasMore'),
    nextCursor: t.exposeString('nextCursor', { nullable: true, description: 'Pass as `after` for the next page.' }),
  }),
});

const AuditFilter = builder.inputType('AuditFilter', {
  fields: (t) => ({
    path: t.field({ type: AuditPathEnum }),
    operation: t.string({ description: 'An operation or MCP tool name, exactly.' }),
    outcome: t.field({ type: AuditOutcomeEnum }),
    userId: t.id(),
    userEmail: t.string({ description: "The signed-in user's e-mail, exactly (case-insensitive)." }),
    from: t.field({ type: 'DateTime', description: 'Rows at or after this instant.' }),
    to: t.field({ type: 'DateTime', description: 'Rows before this instant.' }),
  }),
});

builder.queryField('auditLog', (t) =>
  t.field({
    type: AuditPageRef,
    scope: 'read:audit',
    cost: 0.1,
    rateLimitPerMin: 60,
    description: "Search the tenant's audit log (read:audit: owners, admins, and read-only auditor keys), newest first.",
    args: {
      filter: t.arg({ type: AuditFilter }),
      first: t.arg.int({ description: 'Page size, 1–100 (default 25).' }),
      after: t.arg.string({ description: 'The `nextCursor` of the previous page.' }),
    },
    resolve: (_, args, ctx) =>
      searchAudit(
        svc(ctx),
        {
          path: args.filter?.path ?? null,
          operation: args.filter?.operation ?? null,
          outcome: args.filter?.outcome ?? null,
          userId: args.filter?.userId ? String(args.filter.userId) : null,
          userEmail: args.filter?.userEmail ?? null,
          from: args.filter?.from ?? null,
          to: args.filter?.to ?? null,
        },
        args,
      ),
  }),
);
