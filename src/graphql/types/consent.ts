import { findSubject, setConsent, subjectHistory, type ConsentHistoryEntry, type ConsentStatus, type ConsentSubjectRecord } from '../../services/consent/subjects';
import { ADMIN_ROLES } from '../../services/auth/scopes';
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
