import { contactPii } from '../../services/crm/contact-pii';
import { createContact, getContact, listContacts, updateContact, type ContactRecord } from '../../services/crm/contacts';
import { builder } from '../builder';
import { svc } from '../context';
import { listType } from './list';
import { selectsPii } from '../selection';

export const Contact = builder.objectRef<ContactRecord>('Contact').implement({
  description: "A person. Name, e-mail and phone are decrypted through the tenant's key; filtered by consent on the e-mail.",
  consent: 'email',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.string({ nullable: true, pii: true, resolve: async (c, _, ctx) => (await contactPii(svc(ctx), c))?.name ?? null }),
    email: t.string({ nullable: true, pii: true, resolve: async (c, _, ctx) => (await contactPii(svc(ctx), c))?.email ?? null }),
    phone: t.string({ nullable: true, pii: true, resolve: async (c, _, ctx) => (await contactPii(svc(ctx), c))?.phone ?? null }),
    title: t.exposeString('title', { nullable: true }),
    accountId: t.exposeID('accountId', { nullable: true }),
    accountName: t.exposeString('accountName', { nullable: true }),
    ownerId: t.exposeID('ownerId', { nullable: true }),
    ownerName: t.exposeString('ownerName', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const ContactList = listType('ContactList', Contact, 'contacts');

const ContactFilter = builder.inputType('ContactFilter', {
  fields: (t) => ({
    search: t.string({
      description:
        'Words that must all occur in the job title, case-insensitive, whole words split at spaces and punctuation ("sales" finds "VP Sales", "sal" does not). PII is never searched in plaintext.',
    }),
    email: t.string({ description: 'Exact e-mail match, through the blind index.' }),
    piiSearch: t.string({
      description:
        'Words that must all occur in the name or e-mail (first name, last name, e-mail words, or a whole domain such as `initech.example`), matched through per-tenant HMAC tokens; never plaintext.',
    }),
    accountId: t.id(),
    ownerId: t.id(),
  }),
});

const ContactInput = builder.inputType('ContactInput', {
  fields: (t) => ({
    name: t.string(),
    email: t.string(),
    phone: t.string(),
    title: t.string(),
    accountId: t.id(),
    ownerId: t.id(),
  }),
});

builder.queryFields((t) => ({
  contacts: t.field({
    type: ContactList,
    scope: 'read:contacts',
    cost: 0.1,
    rateLimitPerMin: 60,
    description: 'Search people. PII is decrypted through the tenant key; consent-filtered by e-mail and counted.',
    args: {
      filter: t.arg({ type: ContactFilter }),
      first: t.arg.int({ description: 'Page size, 1–100 (default 25).' }),
      after: t.arg.string({ description: 'The `nextCursor` of the previous page.' }),
    },
    resolve: (_, args, ctx, info) => listContacts(svc(ctx), args.filter ?? {}, args, { pii: selectsPii(info) }),
  }),
  contact: t.field({
    type: Contact,
    nullable: true,
    scope: 'read:contacts',
    cost: 0.05,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => getContact(svc(ctx), String(args.id)),
  }),
}));

builder.mutationFields((t) => ({
  createContact: t.field({
    type: Contact,
    scope: 'write:crm',
    cost: 0.05,
    args: { input: t.arg({ type: ContactInput, required: true }) },
    resolve: (_, args, ctx) => createContact(svc(ctx), args.input),
  }),
  updateContact: t.field({
    type: Contact,
    scope: 'write:crm',
    cost: 0.05,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: ContactInput, required: true }) },
    resolve: (_, args, ctx) => updateContact(svc(ctx), String(args.id), args.input),
  }),
}));
