import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import type { TestPact } from '../helpers/pact';

export interface Citation {
  kind: string;
  id: string;
  label?: string;
}

const TABLES: Record<string, string> = { account: 'accounts', deal: 'deals', contact: 'contacts' };

/** Every citation names a real record of `tenantId` (the demo tenant by default) that passes the consent gate. */
export async function assertCitationsResolve(pact: TestPact, citations: readonly Citation[], tenantId = pact.seed.demoTenantId): Promise<void> {
  for (const c of citations) {
    const table = TABLES[c.kind];
    expect(table, `citation kind ${c.kind}`).toBeDefined();
    const [row] = await pact.sql<{ tenant_id: string; consent_hidden: boolean }>(
      sql`select tenant_id, consent_hidden from ${sql.raw(table as string)} where id = ${c.id}`,
    );
    expect(row, `${c.kind} ${c.id} exists`).toBeDefined();
    expect(row, `${c.kind} ${c.id} belongs to the caller's tenant and is consented`).toEqual({ tenant_id: tenantId, consent_hidden: false });
  }
}

/** The `[kind:id]` citations written inline in an answer. */
export const inlineCitations = (text: string): Citation[] =>
  [...text.matchAll(/\[(account|deal|contact):([0-9a-f-]{36})\]/g)].map((m) => ({ kind: m[1] as string, id: m[2] as string }));
