import { count, inArray } from 'drizzle-orm';
import type { Database, Db } from '../../db/client';
import { accounts, activities, consentEvents, consentSubjects, contacts, deals, demoDataAnchors, erasedContacts, memberships, tenants, users } from '../../db/schema';
import { systemClock, todayOf, type Clock } from '../../lib/clock';
import { newId } from '../../lib/ids';
import { hashPassword } from '../auth/authenticator';
import type { MemberRole } from '../auth/scopes';
import { indexSealedContacts, sealedColumns } from '../crm/contact-pii';
import { DEAL_STAGES, STAGE_PROBABILITY, type DealStage } from '../crm/deals';
import type { KeyService, TenantKey } from '../keys/tenant-keys';
import { mulberry32 } from '../../lib/prng';
import { DEMO_PASSWORD } from './password';

/** What the seeded auditor (auditor@pact.demo, role member) is given beyond the role. */
export const AUDITOR_SCOPES = ['read:audit'] as const;

export { DEMO_PASSWORD };

export interface TenantSize {
  accounts: number;
  contacts: number;
  deals: number;
  activities: number;
  /** E-mail subjects per status, taken from seeded contacts (erased ones are deleted). */
  emailConsent: { suppressed: number; withdrawn: number; erased: number };
  /** Domain subjects per status, taken from seeded accounts. */
  domainConsent: { suppressed: number; withdrawn: number; erased: number };
}

export const DEMO_SIZE: TenantSize = {
  accounts: 200,
  contacts: 2000,
  deals: 500,
  activities: 1000,
  emailConsent: { suppressed: 60, withdrawn: 40, erased: 10 },
  domainConsent: { suppressed: 8, withdrawn: 4, erased: 2 },
};

export const SECOND_SIZE: TenantSize = {
  accounts: 30,
  contacts: 200,
  deals: 60,
  activities: 100,
  emailConsent: { suppressed: 5, withdrawn: 5, erased: 0 },
  domainConsent: { suppressed: 1, withdrawn: 1, erased: 0 },
};

export interface SeededUser {
  id: string;
  email: string;
  role: MemberRole;
}

export interface SeedResult {
  demoTenantId: string;
  secondTenantId: string;
  users: SeededUser[];
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Linus', 'Margaret', 'Barbara', 'Ken', 'Dennis', 'Radia', 'Frances', 'Edsger', 'Donald', 'Hedy', 'Tim', 'Katherine', 'Claude', 'Annie', 'John', 'Sophie', 'Niklaus'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Torvalds', 'Hamilton', 'Liskov', 'Thompson', 'Ritchie', 'Perlman', 'Allen', 'Dijkstra', 'Knuth', 'Lamarr', 'Berners', 'Johnson', 'Shannon', 'Easley', 'Backus', 'Wilson', 'Wirth'];
const TITLES = ['CEO', 'CTO', 'VP Sales', 'Head of Procurement', 'Engineering Manager', 'Data Protection Officer', 'CFO', 'Operations Lead', 'Product Manager', 'IT Director'];
const PREFIX = ['North', 'Blue', 'Bright', 'Iron', 'Silver', 'Green', 'Red', 'Quantum', 'Atlas', 'Nova', 'Summit', 'Harbor', 'Pioneer', 'Vertex', 'Cedar', 'Orbit', 'Granite', 'Lumen', 'Delta', 'Echo'];
const SUFFIX = ['Labs', 'Systems', 'Logistics', 'Foods', 'Health', 'Energy', 'Analytics', 'Robotics', 'Capital', 'Works'];
const INDUSTRIES = ['Software', 'Manufacturing', 'Logistics', 'Healthcare', 'Finance', 'Retail', 'Energy', 'Education'];
const ACTIVITY_SUBJECTS = ['Intro call', 'Sent proposal', 'Pricing follow-up', 'Security review', 'Demo', 'Contract redlines', 'Quarterly check-in'];

/** A small deterministic PRNG so the demo data is the same on every machine. */
function rng(seed: number) {
  const next = mulberry32(seed);
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T,
  };
}

async function insertChunks<T>(rows: T[], size: number, insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await insert(rows.slice(i, i + size));
}

const DAY = 86_400_000;
const dayOf = (date: string, days: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
const at = (date: string, hour: number): Date => new Date(Date.parse(`${date}T00:00:00Z`) + hour * 3_600_000);

/**
 * A deal's close date and timestamps relative to `today`: an open deal closes within the next two
 * quarters (1 in 7 has slipped: its close date passed 3 to 120 days ago); a closed deal closed in
 * the last year. Deals were opened 2 to 26 weeks before their close date, never after today.
 */
function placeDeal(when: ReturnType<typeof rng>, stage: DealStage, today: string): { closeDate: string; createdAt: Date; updatedAt: Date } {
  const open = stage !== 'closed_won' && stage !== 'closed_lost';
  const slipped = open && when.next() < 1 / 7;
  const closeDate = !open ? dayOf(today, -when.int(1, 365)) : slipped ? dayOf(today, -when.int(3, 120)) : dayOf(today, when.int(1, 182));
  const openedDaysBefore = when.int(14, 182);
  const created = at(dayOf(closeDate < today ? closeDate : today, -openedDaysBefore), 9);
  const lastChange = open ? at(dayOf(today, -when.int(0, 45)), 15) : at(closeDate, 15);
  return { closeDate, createdAt: created, updatedAt: lastChange < created ? created : lastChange };
}

/**
 * When an activity happened: on an open deal, 3 in 4 in the last four weeks and the rest up to four
 * months ago; on a closed deal, in the two months before it closed. Never before the deal was opened.
 */
function placeActivity(when: ReturnType<typeof rng>, deal: { stage: DealStage; closeDate: string; createdAt: Date }, today: string): Date {
  const open = deal.stage !== 'closed_won' && deal.stage !== 'closed_lost';
  const day = open ? dayOf(today, -(when.next() < 3 / 4 ? when.int(0, 27) : when.int(28, 120))) : dayOf(deal.closeDate, -when.int(0, 60));
  const occurred = at(day, when.int(8, 17));
  return occurred < deal.createdAt ? deal.createdAt : occurred;
}

/** True when the database holds no tenant yet. */
export async function isEmpty(database: Database): Promise<boolean> {
  const [row] = await database.withSystem((tx) => tx.select({ n: count() }).from(tenants));
  return (row?.n ?? 0) === 0;
}

interface TenantSeed {
  slug: string;
  name: string;
  tld: string;
  size: TenantSize;
  members: { userId: string; role: MemberRole }[];
  seed: number;
}

async function seedTenant(tx: Db, keys: KeyService, spec: TenantSeed, today: string): Promise<string> {
  const tenantId = newId();
  const r = rng(spec.seed);
  await tx.insert(tenants).values({ id: tenantId, slug: spec.slug, name: spec.name });
  await tx.insert(memberships).values(spec.members.map((m) => ({ tenantId, userId: m.userId, role: m.role })));
  const key: TenantKey = await keys.createInitialKey(tx, tenantId);
  const owners = spec.members.map((m) => m.userId);

  const accountRows = Array.from({ length: spec.size.accounts }, (_, i) => {
    const name = `${PREFIX[i % PREFIX.length]} ${SUFFIX[Math.floor(i / PREFIX.length) % SUFFIX.length]}${i >= PREFIX.length * SUFFIX.length ? ` ${i}` : ''}`;
    return {
      id: newId(),
      tenantId,
      name,
      domain: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '')}.${spec.tld}`,
      industry: r.pick(INDUSTRIES),
      ownerId: r.pick(owners),
      employeeCount: r.int(5, 20_000),
    };
  });
  await insertChunks(accountRows, 500, (chunk) => tx.insert(accounts).values(chunk));

  const contactRows = Array.from({ length: spec.size.contacts }, (_, i) => {
    const account = accountRows[i % accountRows.length];
    const first = r.pick(FIRST);
    const last = r.pick(LAST);
    const id = newId();
    const email = `${first}.${last}.${i}@${account?.domain ?? `example.${spec.tld}`}`.toLowerCase();
    const pii = { name: `${first} ${last}`, email, phone: `+1 555 ${String(r.int(100, 999))} ${String(r.int(1000, 9999))}` };
    return {
      row: { id, tenantId, accountId: account?.id ?? null, ownerId: r.pick(owners), title: r.pick(TITLES), ...sealedColumns(keys, key, tenantId, id, pii) },
      email,
      pii,
    };
  });
  await insertChunks(contactRows, 500, (chunk) => tx.insert(contacts).values(chunk.map((c) => c.row)));
  await indexSealedContacts(tx, keys, key, tenantId, contactRows.map((c) => ({ id: c.row.id, pii: c.pii })));

  // Dates are placed relative to `today` (see placeDeal/placeActivity) by PRNGs of their own, so
  // every other seeded value (names, stages, amounts, owners) is the same whatever the day.
  const when = rng(spec.seed + 1000);
  const dealRows = Array.from({ length: spec.size.deals }, (_, i) => {
    const account = r.pick(accountRows);
    const stage: DealStage = r.pick(DEAL_STAGES);
    r.int(1, 12); // the fixed calendar's month and day (kept so the values after them do not change)
    r.int(1, 28);
    const row = {
      id: newId(),
      tenantId,
      accountId: account.id,
      ownerId: r.pick(owners),
      name: `${account.name} — ${r.pick(['Platform', 'Expansion', 'Renewal', 'Pilot', 'Enterprise'])} ${i + 1}`,
      stage,
      amountCents: r.int(50, 5000) * 10_000,
      probability: STAGE_PROBABILITY[stage],
    };
    return { ...row, ...placeDeal(when, stage, today) };
  });
  await insertChunks(dealRows, 500, (chunk) => tx.insert(deals).values(chunk));

  const openDeals = dealRows.filter((d) => d.stage !== 'closed_won' && d.stage !== 'closed_lost');
  const activityRows = Array.from({ length: spec.size.activities }, () => {
    const picked = r.pick(dealRows);
    // Most activity is on open deals (3 in 5 picked on a closed deal move to an open one).
    const deal = picked.stage !== 'closed_won' && picked.stage !== 'closed_lost' ? picked : openDeals.length > 0 && when.next() < 0.6 ? when.pick(openDeals) : picked;
    const kind = r.pick(['note', 'call', 'email', 'meeting', 'task'] as const);
    const subject = r.pick(ACTIVITY_SUBJECTS);
    r.int(0, 10); // the fixed calendar's month and day (kept so the values after them do not change)
    r.int(1, 28);
    return {
      id: newId(),
      tenantId,
      kind,
      subject,
      body: 'Logged by the demo seed.',
      accountId: deal.accountId,
      dealId: deal.id,
      userId: deal.ownerId,
      occurredAt: placeActivity(when, deal, today),
    };
  });
  await insertChunks(activityRows, 500, (chunk) => tx.insert(activities).values(chunk));
  await tx.insert(demoDataAnchors).values({ tenantId, anchoredOn: today });

  const subjects: (typeof consentSubjects.$inferInsert)[] = [];
  const erased: { contactId: string; subjectId: string }[] = [];
  let c = 0;
  for (const status of ['suppressed', 'withdrawn', 'erased'] as const) {
    for (let i = 0; i < spec.size.emailConsent[status]; i += 1) {
      const contact = contactRows[(c += 7) % contactRows.length];
      if (!contact) continue;
      const id = newId();
      subjects.push({ id, tenantId, kind: 'email', status, subjectKey: status === 'erased' ? `erased:${id}` : (contact.row.emailIndex ?? '') });
      if (status === 'erased') erased.push({ contactId: contact.row.id, subjectId: id });
    }
  }
  let a = 0;
  for (const status of ['suppressed', 'withdrawn', 'erased'] as const) {
    for (let i = 0; i < spec.size.domainConsent[status]; i += 1) {
      const account = accountRows[(a += 13) % accountRows.length];
      if (account) subjects.push({ id: newId(), tenantId, kind: 'domain', status, subjectKey: account.domain });
    }
  }
  if (subjects.length > 0) {
    await tx.insert(consentSubjects).values(subjects);
    await tx.insert(consentEvents).values(
      subjects.map((s) => ({ id: newId(), tenantId, subjectId: s.id, fromStatus: null, toStatus: s.status, reason: 'Seeded by the demo' })),
    );
  }
  if (erased.length > 0) {
    await tx.delete(contacts).where(inArray(contacts.id, erased.map((e) => e.contactId)));
    await tx.insert(erasedContacts).values(erased.map((e) => ({ tenantId, ...e })));
  }
  return tenantId;
}

/** Told as each tenant's seeding starts (what and how many rows); the returned function is called when it ends. */
export type SeedProgress = (what: string) => () => void;

const thousands = (n: number) => n.toLocaleString('en-US');

/** What seeding a tenant writes, in one line: the rows a person can count in the console. */
function describeTenant(label: string, size: TenantSize): string {
  const consent = Object.values(size.emailConsent).reduce((a, b) => a + b, 0) + Object.values(size.domainConsent).reduce((a, b) => a + b, 0);
  const counts = [
    `${thousands(size.accounts)} accounts`,
    `${thousands(size.contacts - size.emailConsent.erased)} contacts`,
    `${thousands(size.deals)} deals`,
    `${thousands(size.activities)} activities`,
    `${thousands(consent)} consent records`,
  ];
  return `Seeding ${label}: ${counts.join(', ')}`;
}

/**
 * Seeds the demo tenant, a second tenant and their users, with dates placed relative to the clock's
 * day (recorded in demo_data_anchors, so later starts can move them forward: aging.ts).
 * Idempotence is the caller's job (`isEmpty`).
 */
export async function seedDemo(
  database: Database,
  keys: KeyService,
  sizes: { demo: TenantSize; second: TenantSize } = { demo: DEMO_SIZE, second: SECOND_SIZE },
  options: { progress?: SeedProgress; clock?: Clock } = {},
): Promise<SeedResult> {
  const today = todayOf(options.clock ?? systemClock);
  const progress = options.progress ?? (() => () => {});
  const demoDone = progress(describeTenant('the demo tenant "demo"', sizes.demo));
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const people: SeededUser[] = [
    { id: newId(), email: 'owner@pact.demo', role: 'owner' },
    { id: newId(), email: 'admin@pact.demo', role: 'admin' },
    { id: newId(), email: 'manager@pact.demo', role: 'manager' },
    { id: newId(), email: 'member@pact.demo', role: 'member' },
    { id: newId(), email: 'owner@globex.demo', role: 'owner' },
    // A read-only auditor: role member, given read:audit (AUDITOR_SCOPES).
    { id: newId(), email: 'auditor@pact.demo', role: 'member' },
  ];
  return database.withSystem(async (tx) => {
    await tx.insert(users).values(
      people.map((p) => ({ id: p.id, email: p.email, passwordHash, displayName: p.email.split('@')[0]!.replace(/^./, (ch) => ch.toUpperCase()) + ' ' + (p.email.endsWith('globex.demo') ? '(Globex)' : '(Demo)') })),
    );
    const [owner, admin, manager, member, globexOwner, auditor] = people as [SeededUser, SeededUser, SeededUser, SeededUser, SeededUser, SeededUser];
    const demoTenantId = await seedTenant(tx, keys, {
      slug: 'demo',
      name: 'Pact Demo',
      tld: 'example',
      size: sizes.demo,
      members: [owner, admin, manager, member].map((u) => ({ userId: u.id, role: u.role })),
      seed: 1,
    }, today);
    // Outside the seed's member list (whose order places the demo data), owning nothing.
    await tx.insert(memberships).values({ tenantId: demoTenantId, userId: auditor.id, role: auditor.role, extraScopes: [...AUDITOR_SCOPES] });
    demoDone();
    const secondDone = progress(describeTenant('a second tenant "globex"', sizes.second));
    const secondTenantId = await seedTenant(tx, keys, {
      slug: 'globex',
      name: 'Globex',
      tld: 'test',
      size: sizes.second,
      members: [
        { userId: globexOwner.id, role: 'owner' },
        { userId: owner.id, role: 'admin' },
      ],
      seed: 2,
    }, today);
    secondDone();
    return { demoTenantId, secondTenantId, users: people };
  });
}
