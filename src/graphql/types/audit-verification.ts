import type { AuditBreak, AuditVerification } from '../../services/audit/verify';
import { builder } from '../builder';
import { svc } from '../context';

const AuditBreakRef = builder.objectRef<AuditBreak>('AuditBreak').implement({
  description: 'The first place where the audit log does not match its seals.',
  fields: (t) => ({
    sealSeq: t.exposeInt('sealSeq', { nullable: true, description: 'The seal concerned; null for a row not sealed yet.' }),
    rowId: t.exposeID('rowId', { nullable: true, description: 'The audit row concerned, when one is.' }),
    rowSeq: t.exposeFloat('rowSeq', { nullable: true, description: "The row's insertion order (`seq`), when it is still there." }),
    reason: t.exposeString('reason'),
  }),
});

const AuditSealRef = builder.objectRef<NonNullable<AuditVerification['lastSeal']>>('AuditSeal').implement({
  description: 'A signed checkpoint over a batch of audit rows.',
  fields: (t) => ({
    seq: t.exposeInt('seq'),
    hash: t.exposeString('hash', { description: 'Keep it elsewhere: a later verification whose seals no longer reach it shows truncation.' }),
    sealedAt: t.expose('sealedAt', { type: 'DateTime' }),
  }),
});

const AuditVerificationRef = builder.objectRef<AuditVerification>('AuditVerification').implement({
  description: "The tenant's audit log checked against its signed seals.",
  fields: (t) => ({
    ok: t.exposeBoolean('ok', { description: 'No seal or row was edited, deleted or inserted. Rows not sealed yet do not make it false.' }),
    seals: t.exposeInt('seals'),
    sealedRows: t.exposeInt('sealedRows'),
    unsealedRows: t.exposeInt('unsealedRows', { description: 'Committed rows the sealer has not linked yet (normally sealed within seconds).' }),
    lastSeal: t.field({ type: AuditSealRef, nullable: true, resolve: (v) => v.lastSeal }),
    firstBroken: t.field({ type: AuditBreakRef, nullable: true, resolve: (v) => v.firstBroken }),
  }),
});

builder.queryField('auditVerification', (t) =>
  t.field({
    type: AuditVerificationRef,
    scope: 'read:audit',
    rateLimitPerMin: 10,
    description:
      "Recomputes the tenant's audit seals: every seal's signature and link, every sealed row's MAC, count and root, and every unsealed row's MAC. Reads the whole log: slow on large tenants.",
    resolve: (_, __, ctx) => ctx.services.audit.verify(svc(ctx).tx, ctx.principal.tenantId),
  }),
);
