/** The database schema: one module per area; drizzle-kit reads this index. */
export * from './enums';
export * from './tenancy';
export * from './crm';
export * from './consent';
export * from './keys';
export * from './audit';
export * from './oauth';
export * from './agents';
export * from './federation';
export { bytea } from './columns';

import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import * as agents from './agents';
import * as audit from './audit';
import * as consent from './consent';
import * as crm from './crm';
import * as federation from './federation';
import * as keys from './keys';
import * as oauth from './oauth';
import * as tenancy from './tenancy';

/** Every table that holds a tenant's rows (a `tenant_id` column, or `tenants` itself): each has forced row-level security. */
export const tenantTables: readonly string[] = [agents, audit, consent, crm, federation, keys, oauth, tenancy]
  .flatMap((area) => Object.values(area))
  .filter((value): value is PgTable => value instanceof PgTable)
  .map((table) => getTableConfig(table))
  .filter((config) => config.name === 'tenants' || config.columns.some((column) => column.name === 'tenant_id'))
  .map((config) => config.name)
  .sort();
