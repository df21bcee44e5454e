import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Database } from '../../src/db/client';
import { accounts, memberships, tenants, users } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { mintApiKey } from '../../src/services/auth/api-keys';
import { hashPassword } from '../../src/services/auth/authenticator';
import type { Principal } from '../../src/services/auth/principal';
import { ROLE_SCOPES } from '../../src/services/auth/scopes';
import { sealedColumns } from '../../src/services/crm/contact-pii';
import type { Services } from '../../src/services/index';
import type { TenantKey } from '../../src/services/keys/tenant-keys';
import type { Sql } from './database';

export interface BenchTenant {
  id: string;
  slug: string;
  ownerId: string;
  key: TenantKey;
  accountIds: string[];
}

const TITLES = ['CEO', 'CTO', 'VP Sales', 'Head of Procurement', 'Engineering Manager', 'Data Protection Officer', 'CFO', 'Operations Lead', 'Product Manager', 'IT Director'];
const FIRST = ['Ada', 'Grace', 'Alan', 'Linus', 'Margaret', 'Barbara', 'Ken', 'Dennis', 'Radia', 'Frances'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Torvalds', 'Hamilton', 'Liskov', 'Thompson', 'Ritchie', 'Perlman', 'Allen'];

/** The deterministic, already-normalised e-mail of contact `i` of a tenant. */
export const benchEmail = (slug: string, i: number): string => `person.${i}@acct${i % 997}.${slug}.example`;

/** A tenant with an owner, its first data key (the real key service) and `accountCount` accounts. */
export async function createTenant(database: Database, services: Services, slug: string, accountCount: number): Promise<BenchTenant> {
  const id = newId();
  const ownerId = newId();
  const passwordHash = await hashPassword(`bench-${slug}-${newId()}`);
  const accountIds = Array.from({ length: accountCount }, () => newId());
  const key = await database.withSystem(async (tx) => {
    await tx.insert(tenants).values({ id, slug, name: `Bench ${slug}` });
    await tx.insert(users).values({ id: ownerId, email: `owner@${slug}.bench.example`, displayName: `Owner (${slug})`, passwordHash });
    await tx.insert(memberships).values({ tenantId: id, userId: ownerId, role: 'owner' });
    const created = await services.keys.createInitialKey(tx, id);
    for (let i = 0; i < accountIds.length; i += 1000) {
      await tx.insert(accounts).values(
        accountIds.slice(i, i + 1000).map((accountId, j) => ({
          id: accountId,
          tenantId: id,
          name: `Account ${i + j} (${slug})`,
          domain: `acct${i + j}.${slug}.example`,
          industry: 'Software',
          ownerId,
          employeeCount: 10 + ((i + j) % 5000),
        })),
      );
    }
    return created;
  });
  return { id, slug, ownerId, key, accountIds };
}

/** One tenant's share of a bulk load. */
export interface ContactLoad {
  tenant: BenchTenant;
  count: number;
}

const COPY_ROWS_PER_STATEMENT = 100_000;
const ROWS_PER_CHUNK = 1_000;

/**
 * Loads real sealed contacts (PII sealed with the tenant's data key through Pact's `sealedColumns`,
 * e-mail blind index, key version) with COPY, 100k rows per statement, the tenants' rows interleaved
 * in proportion so they are mixed on disk as in a shared database. Rows keep the per-row consent
 * trigger and the hidden-count statement trigger. Returns milliseconds taken.
 */
export async function loadContacts(sql: Sql, services: Services, loads: ContactLoad[], onProgress?: (done: number, total: number) => void): Promise<number> {
  const started = performance.now();
  const total = loads.reduce((n, l) => n + l.count, 0);
  const emitted = loads.map(() => 0);
  let done = 0;

  const nextRow = (): string => {
    // Pick the tenant furthest behind its share, so tenants interleave evenly.
    let pick = 0;
    let best = Number.POSITIVE_INFINITY;
    loads.forEach((load, t) => {
      const share = (emitted[t] ?? 0) / load.count;
      if ((emitted[t] ?? 0) < load.count && share < best) {
        best = share;
        pick = t;
      }
    });
    const load = loads[pick] as ContactLoad;
    const i = emitted[pick] ?? 0;
    emitted[pick] = i + 1;
    const { tenant } = load;
    const id = newId();
    const pii = {
      name: `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}`,
      email: benchEmail(tenant.slug, i),
      phone: `+1 555 ${String(100 + (i % 900))} ${String(1000 + (i % 9000))}`,
    };
    const sealed = sealedColumns(services.keys, tenant.key, tenant.id, id, pii);
    // Titles and accounts go to pairs of neighbours (i, i + 1), so a filter on either matches as many
    // even as odd contacts: "every other contact hidden" then hides half of any filtered list too.
    const pair = Math.floor(i / 2);
    const accountId = tenant.accountIds[pair % tenant.accountIds.length] ?? '\\N';
    const title = TITLES[pair % TITLES.length] ?? '\\N';
    return `${id}\t${tenant.id}\t${accountId}\t${tenant.ownerId}\t${title}\t\\\\x${sealed.pii.toString('hex')}\t${sealed.keyVersion}\t${sealed.emailIndex ?? '\\N'}\n`;
  };

  while (done < total) {
    const rows = Math.min(COPY_ROWS_PER_STATEMENT, total - done);
    const chunks = function* (): Generator<string> {
      for (let r = 0; r < rows; r += ROWS_PER_CHUNK) {
        let chunk = '';
        const n = Math.min(ROWS_PER_CHUNK, rows - r);
        for (let k = 0; k < n; k += 1) chunk += nextRow();
        yield chunk;
      }
    };
    const writable = await sql`copy contacts (id, tenant_id, account_id, owner_id, title, pii, key_version, email_index) from stdin`.writable();
    await pipeline(Readable.from(chunks()), writable);
    done += rows;
    onProgress?.(done, total);
  }
  return performance.now() - started;
}

/**
 * Inserts consent subjects (kind 'email', `status`) for the contacts of `tenant` whose index
 * `pick(i)` selects, `batch` rows per INSERT, each INSERT its own transaction (as many small
 * consent changes would be). The database triggers flag the matching contacts and keep
 * `consent_counts`. Returns the number of subjects and the milliseconds taken.
 */
export async function insertSubjects(
  sql: Sql,
  services: Services,
  tenant: BenchTenant,
  contactCount: number,
  pick: (i: number) => boolean,
  status: 'suppressed' | 'withdrawn',
  batch: number,
  onProgress?: (done: number) => void,
): Promise<{ subjects: number; ms: number; batchMs: number[] }> {
  const started = performance.now();
  const batchMs: number[] = [];
  let ids: string[] = [];
  let keys: string[] = [];
  let subjects = 0;
  const flush = async () => {
    if (ids.length === 0) return;
    const t0 = performance.now();
    await sql`
      insert into consent_subjects (id, tenant_id, kind, subject_key, status)
      select s.id, ${tenant.id}::uuid, 'email', s.k, ${status}::consent_status
      from unnest(${ids}::uuid[], ${keys}::text[]) as s(id, k)`;
    batchMs.push(performance.now() - t0);
    subjects += ids.length;
    ids = [];
    keys = [];
    onProgress?.(subjects);
  };
  for (let i = 0; i < contactCount; i += 1) {
    if (!pick(i)) continue;
    ids.push(newId());
    keys.push(services.keys.blindIndex(tenant.key, 'email', benchEmail(tenant.slug, i)));
    if (ids.length >= batch) await flush();
  }
  await flush();
  return { subjects, ms: performance.now() - started, batchMs };
}

/** Mints a `pact_live_` API key with `scopes` as the tenant's owner (holding the owner role's scopes, as a signed-in owner does), through Pact's own service. */
export async function mintKey(database: Database, services: Services, tenant: BenchTenant, scopes: string[]): Promise<string> {
  const principal: Principal = {
    kind: 'user',
    tenantId: tenant.id,
    tenantSlug: tenant.slug,
    userId: tenant.ownerId,
    apiKeyId: null,
    role: 'owner',
    scopes: new Set(ROLE_SCOPES.owner),
    client: 'bench',
    path: 'graphql',
    trustedDocumentsOnly: false,
  };
  return database.withTenant(tenant.id, async (tx) => {
    const ctx = { principal, tx, database, keys: services.keys, cursors: services.cursors };
    const minted = await mintApiKey(ctx, { name: 'bench', scopes });
    return minted.secret;
  });
}
