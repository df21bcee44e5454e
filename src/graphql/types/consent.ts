import { consentOverview, listConsentSubjects, type ConsentOverview, type ConsentSubjectPage } from '../../services/consent/list';
import { findSubject, setConsent, subjectHistory, type ConsentHistoryEntry, type ConsentStatus, type ConsentSubjectRecord } from '../../services/consent/subjects';
import { ADMIN_ROLES } from '../../services/auth/scopes';
import { checkConsent, type ConsentCheck } from '../../services/consent/check';
import { builder } from '../builder';
import { svc } from '../context';

const ConsentStatusEnum = builder.enumType('ConsentStatus', {
  values: { GRANTED: { value: 'granted' }, SUPPRESSED: { value: 'suppressed' }, WITHDRAWN: { value: 'withdrawn' }, ERASED: { value: 'erased' } } as const,
});

const SubjectKind = builder.enumType('ConsentSubjectKind', {
  values: { EMAIL: { value: 'email' }, DOMAIN: { value: 'domain' } } as const,
});

const SubjectInput = builder.inputType('ConsentSubjectInput', {
  description: "A data subject: a contact's e-mail address or an account's domain.",
  fields: (t) => ({
    kind: t.field({ type: SubjectKind, required: true }),
    value: t.string({ required: true }),
  }),
});

const HistoryEntry = builder.objectRef<ConsentHistoryEntry>('ConsentHistoryEntry').implement({
  fields: (t) => ({
    fromStatus: t.field({ type: ConsentStatusEnum, nullable: true, resolve: (e) => e.fromStatus }),
    toStatus: t.field({ type: ConsentStatusEnum, resolve: (e) => e.toStatus }),
    reason: t.exposeString('reason', { nullable: true }),
    actorUserId: t.exposeID('actorUserId', { nullable: true }),
    actorApiKeyId: t.exposeID('actorApiKeyId', { nullable: true }),
    at: t.expose('at', { type: 'DateTime' }),
  }),
});

const ConsentSubject = builder.objectRef<ConsentSubjectRecord>('ConsentSubject').implement({
  description: 'Consent for one data subject, with its history. E-mail subjects never show the address.',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.field({ type: SubjectKind, resolve: (s) => s.kind }),
    value: t.exposeString('value', { nullable: true }),
    status: t.field({ type: ConsentStatusEnum, resolve: (s) => s.status }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    erasedRecords: t.exposeInt('erasedRecords', { description: 'Contacts deleted by an e-mail erasure in this call.' }),
    history: t.field({ type: [HistoryEntry], resolve: (s, _, ctx) => subjectHistory(svc(ctx), s.id) }),
  }),
});

builder.queryField('consentSubject', (t) =>
  t.field({
    type: ConsentSubject,
    nullable: true,
    scope: 'write:consent',
    description: 'The consent record of a subject; null when none exists (consent granted by default).',
    args: { subject: t.arg({ type: SubjectInput, required: true }) },
    resolve: (_, args, ctx) => findSubject(svc(ctx), args.subject),
  }),
);

const ConsentCheckRef = builder.objectRef<ConsentCheck>('ConsentCheck').implement({
  description: 'Whether one data subject may be processed; nothing else about it.',
  fields: (t) => ({
    allowed: t.exposeBoolean('allowed', { description: 'False when the subject is suppressed, withdrawn or erased.' }),
    status: t.field({
      type: ConsentStatusEnum,
      nullable: true,
      description: 'The recorded status; null when Pact holds no record (consent granted by default).',
      resolve: (c) => c.status,
    }),
  }),
});

builder.queryField('consentCheck', (t) =>
  t.field({
    type: ConsentCheckRef,
    scope: 'check:consent',
    cost: 0.01,
    rateLimitPerMin: 600,
    description:
      "May this subject be processed? For an author's MCP server gating its tools on Pact's consent records (`PactConsentStore` of @pact/mcp-server). The subject is an e-mail address (looked up by its blind index, never stored or logged), a domain, or a consent subject id. An erased e-mail address reads as unknown (Pact keeps no fingerprint of it); its subject id reads as erased.",
    args: { subject: t.arg.string({ required: true }) },
    resolve: (_, args, ctx) => checkConsent(svc(ctx), args.subject),
  }),
);

const consentMutation = (status: ConsentStatus, description: string, admin?: { roleAction: string }) =>
  builder.mutationField(`${status === 'erased' ? 'erase' : status === 'granted' ? 'grant' : status === 'suppressed' ? 'suppress' : 'withdraw'}Consent`, (t) =>
    t.field({
      type: ConsentSubject,
      scope: 'write:consent',
      ...(admin ? { roles: ADMIN_ROLES, roleAction: admin.roleAction } : {}),
      cost: 0.05,
      description,
      args: { subject: t.arg({ type: SubjectInput, required: true }), reason: t.arg.string() },
      resolve: (_, args, ctx) => setConsent(svc(ctx), args.subject, status, args.reason),
    }),
  );

consentMutation('granted', 'Grant consent for a subject: its records become visible.');
consentMutation('suppressed', 'Suppress a subject: its records are hidden from every read and counted.');
consentMutation('withdrawn', 'Record that the subject withdrew consent: its records are hidden from every read and counted.');
consentMutation(
  'erased',
  'Erase a subject (owners and admins only). For an e-mail, its contacts (ciphertext and blind index) are deleted; for a domain, its accounts and deals stay hidden for good. Irreversible.',
  { roleAction: 'Erasing a subject' },
);

const ConsentSubjectPageRef = builder.objectRef<ConsentSubjectPage>('ConsentSubjectPage').implement({
  description: 'A page of consent records, most recently created first.',
  fields: (t) => ({
    items: t.field({ type: [ConsentSubject], resolve: (p) => p.items }),
    returned: t.exposeInt('returned'),
    hasMore: t.exposeBoolean('hasMore'),
    nextCursor: t.exposeString('nextCursor', { nullable: true }),
  }),
});

builder.queryField('consentSubjects', (t) =>
  t.field({
    type: ConsentSubjectPageRef,
    scope: 'read:consent',
    rateLimitPerMin: 60,
    description: 'Consent records with status and history (read:consent). E-mail subjects never show the address: look one up with `consentSubject`.',
    args: {
      status: t.arg({ type: ConsentStatusEnum }),
      kind: t.arg({ type: SubjectKind }),
      first: t.arg.int({ description: 'Page size, 1–100 (default 25).' }),
      after: t.arg.string({ description: 'The `nextCursor` of the previous page.' }),
    },
    resolve: (_, args, ctx) => listConsentSubjects(svc(ctx), { status: args.status ?? null, kind: args.kind ?? null }, args),
  }),
);

const ConsentSubjectCounts = builder.objectRef<ConsentOverview['subjects']>('ConsentSubjectCounts').implement({
  fields: (t) => ({
    granted: t.exposeInt('granted'),
    suppressed: t.exposeInt('suppressed'),
    withdrawn: t.exposeInt('withdrawn'),
    erased: t.exposeInt('erased'),
  }),
});

const ConsentHiddenCounts = builder.objectRef<ConsentOverview['hidden']>('ConsentHiddenCounts').implement({
  fields: (t) => ({
    accounts: t.exposeInt('accounts'),
    contacts: t.exposeInt('contacts'),
    deals: t.exposeInt('deals'),
  }),
});

builder.queryField('consentOverview', (t) =>
  t.field({
    type: builder.objectRef<ConsentOverview>('ConsentOverview').implement({
      description: 'Consent records by status, and the records each list hides now (the unfiltered `consentFiltered` of accounts, contacts and deals).',
      fields: (f) => ({
        subjects: f.field({ type: ConsentSubjectCounts, resolve: (o) => o.subjects }),
        hidden: f.field({ type: ConsentHiddenCounts, resolve: (o) => o.hidden }),
      }),
    }),
    scope: 'read:consent',
    description: 'How many subjects are suppressed, withdrawn or erased, and how many records each list hides (read:consent).',
    resolve: (_, __, ctx) => consentOverview(svc(ctx)),
  }),
);
