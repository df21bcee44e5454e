import type { ObjectRef } from '@pothos/core';
import type { ListResult } from '../../services/crm/paging';
import { builder } from '../builder';

/** A consent-gated list type: `items`, `returned`, `consentFiltered`, `note`, and the cursor. */
export function listType<T extends { id: string }>(name: string, item: ObjectRef<GraphQLTypes, T>, what: string) {
  return builder.objectRef<ListResult<T>>(name).implement({
    description: `A page of ${what}, after the consent gate.`,
    fields: (t) => ({
      items: t.field({ type: [item], resolve: (r) => r.items }),
      returned: t.exposeInt('returned', { description: 'Items in this page.' }),
      consentFiltered: t.exposeInt('consentFiltered', {
        description: 'Records matching the filters (across all pages) hidden by consent: suppressed, withdrawn or erased subjects.',
      }),
      note: t.exposeString('note', { description: 'A sentence saying what consent hid.' }),
      hasMore: t.exposeBoolean('hasMore'),
      nextCursor: t.exposeString('nextCursor', { nullable: true, description: 'Pass as `after` for the next page.' }),
    }),
  });
}

type GraphQLTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
