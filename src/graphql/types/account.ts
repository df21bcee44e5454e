import { createAccount, getAccount, listAccounts, updateAccount, type AccountRecord } from '../../services/crm/accounts';
import { builder } from '../builder';
import { svc } from '../context';
import { listType } from './list';

export const Account = builder.objectRef<AccountRecord>('Account').implement({
  description: 'A company in the CRM. Filtered by consent on its domain.',
  consent: 'domain',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    domain: t.exposeString('domain', { nullable: true }),
    industry: t.exposeString('industry', { nullable: true }),
    ownerId: t.exposeID('ownerId', { nullable: true }),
    ownerName: t.exposeString('ownerName', { nullable: true }),
    employeeCount: t.exposeInt('employeeCount', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const AccountList = listType('AccountList', Account, 'accounts');

const AccountFilter = builder.inputType('AccountFilter', {
  fields: (t) => ({
    search: t.string({ description: 'Case-insensitive text in name, domain or industry.' }),
    industry: t.string(),
    domain: t.string(),
    ownerId: t.id(),
  }),
});

const AccountInput = builder.inputType('AccountInput', {
  fields: (t) => ({
    name: t.string(),
    domain: t.string(),
    industry: t.string(),
    ownerId: t.id(),
    employeeCount: t.int(),
  }),
});

builder.queryFields((t) => ({
  accounts: t.field({
    type: AccountList,
    scope: 'read:accounts',
    cost: 0.1,
    rateLimitPerMin: 60,
    description: 'Search accounts. Consent-suppressed domains are filtered out and counted in `consentFiltered`.',
    args: {
      filter: t.arg({ type: AccountFilter }),
      first: t.arg.int({ description: 'Page size, 1–100 (default 25).' }),
      after: t.arg.string({ description: 'The `nextCursor` of the previous page.' }),
    },
    resolve: (_, args, ctx) => listAccounts(svc(ctx), args.filter ?? {}, args),
  }),
  account: t.field({
    type: Account,
    nullable: true,
    scope: 'read:accounts',
    cost: 0.05,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => getAccount(svc(ctx), String(args.id)),
  }),
}));

builder.mutationFields((t) => ({
  createAccount: t.field({
    type: Account,
    scope: 'write:crm',
    cost: 0.05,
    args: { input: t.arg({ type: AccountInput, required: true }) },
    resolve: (_, args, ctx) => createAccount(svc(ctx), args.input),
  }),
  updateAccount: t.field({
    type: Account,
    scope: 'write:crm',
    cost: 0.05,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: AccountInput, required: true }) },
    resolve: (_, args, ctx) => updateAccount(svc(ctx), String(args.id), args.input),
  }),
}));
