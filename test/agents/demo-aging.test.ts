import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/lib/clock';
import { ageDemoData } from '../../src/services/seed/aging';
import { startTestPact, type TestPact } from '../helpers/pact';

const SEEDED_ON = '2026-05-04';
let pact: TestPact;
beforeAll(async () => {
  pact = await startTestPact({ clock: fixedClock(SEEDED_ON) });
});
afterAll(() => pact.close());

const demo = () => pact.seed.demoTenantId;
const OPEN = sql.raw(`('prospecting', 'qualification', 'proposal', 'negotiation')`);

interface Shape {
  open: number;
  slipped: number;
  nextTwoQuarters: number;
  closedInPastYear: number;
  closed: number;
  activityLastWeek: number;
  quietOpenAccounts: number;
  openAccounts: number;
  futureActivity: number;
}

async function shape(today: string): Promise<Shape> {
  const [row] = await pact.sql<Shape & Record<string, unknown>>(sql`
    select (count(*) filter (where stage in ${OPEN}))::int as open,
           (count(*) filter (where stage in ${OPEN} and close_date < ${today}::date))::int as slipped,
           (count(*) filter (where stage in ${OPEN} and close_date between ${today}::date and ${today}::date + 183))::int as "nextTwoQuarters",
           (count(*) filter (where stage not in ${OPEN} and close_date between ${today}::date - 366 and ${today}::date))::int as "closedInPastYear",
           (count(*) filter (where stage not in ${OPEN}))::int as closed,
           (select count(*)::int from activities x where x.tenant_id = ${demo()} and x.occurred_at >= ${today}::date - 7 and x.occurred_at < ${today}::date + 1) as "activityLastWeek",
           (select count(*)::int from activities x where x.tenant_id = ${demo()} and x.occurred_at >= ${today}::date + 1) as "futureActivity",
           (select count(distinct d2.account_id)::int from deals d2 where d2.tenant_id = ${demo()} and d2.stage in ${OPEN}) as "openAccounts",
           (select count(distinct d2.account_id)::int from deals d2 where d2.tenant_id = ${demo()} and d2.stage in ${OPEN}
              and not exists (select 1 from activities x where x.tenant_id = d2.tenant_id and x.account_id = d2.account_id and x.occurred_at >= ${today}::date - 30)) as "quietOpenAccounts"
    from deals where tenant_id = ${demo()}`);
  return row as Shape;
}

describe('demo data in the present', () => {
  it('the seed places dates around the day it runs: most open deals close in the next two quarters, some slipped, closed deals in the past year, recent activity', async () => {
    const s = await shape(SEEDED_ON);
    expect(s.open).toBeGreaterThan(0);
    expect(s.slipped + s.nextTwoQuarters).toBe(s.open);
    expect(s.slipped).toBeGreaterThan(0);
    expect(s.slipped / s.open).toBeLessThan(0.3);
    expect(s.closedInPastYear).toBe(s.closed);
    expect(s.activityLastWeek).toBeGreaterThan(0);
    expect(s.futureActivity).toBe(0);
    expect(s.quietOpenAccounts).toBeLessThan(s.openAccounts);
    const [future] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from deals where tenant_id = ${demo()} and created_at > ${SEEDED_ON}::date + 1`);
    expect(future?.n).toBe(0);
  });

  it('a later start moves every date forward by the days elapsed, so the data keeps its shape; ids, users and audit rows stay as they were', async () => {
    const before = await pact.sql<{ id: string; close_date: string; created_at: string }>(
      sql`select id, close_date::text, created_at::text from deals where tenant_id = ${demo()} order by id`,
    );
    const activitiesBefore = await pact.sql<{ id: string; occurred_at: string }>(sql`select id, occurred_at::text from activities where tenant_id = ${demo()} order by id`);
    const [audit] = await pact.sql<{ n: number; latest: string | null }>(sql`select count(*)::int as n, max(at)::text as latest from audit_log`);
    const users = await pact.sql<{ id: string }>(sql`select id from users order by id`);
    const shapeBefore = await shape(SEEDED_ON);

    const later = '2026-08-12'; // 100 days after the seed
    const aged = await ageDemoData(pact.database, later);
    expect(aged).toEqual(expect.arrayContaining([{ tenantId: demo(), days: 100 }, { tenantId: pact.seed.secondTenantId, days: 100 }]));

    const after = await pact.sql<{ id: string; moved: number; created_moved: number }>(sql`
      select d.id, (d.close_date - b.close_date)::int as moved, extract(day from d.created_at - b.created_at)::int as created_moved
      from deals d join (select * from (values ${sql.join(before.map((r) => sql`(${r.id}::uuid, ${r.close_date}::date, ${r.created_at}::timestamptz)`), sql`, `)}) as v(id, close_date, created_at)) b on b.id = d.id
      order by d.id`);
    expect(after.map((r) => r.id)).toEqual(before.map((r) => r.id));
    expect(new Set(after.map((r) => r.moved))).toEqual(new Set([100]));
    expect(new Set(after.map((r) => r.created_moved))).toEqual(new Set([100]));
    const [acts] = await pact.sql<{ n: number; moved: number }>(sql`
      select count(*)::int as n, min(extract(epoch from x.occurred_at - v.occurred_at) / 86400)::int as moved
      from activities x join (values ${sql.join(activitiesBefore.map((r) => sql`(${r.id}::uuid, ${r.occurred_at}::timestamptz)`), sql`, `)}) as v(id, occurred_at) on v.id = x.id`);
    expect(acts).toEqual({ n: activitiesBefore.length, moved: 100 });
    expect(await shape(later)).toEqual(shapeBefore);
    expect(await pact.sql(sql`select count(*)::int as n, max(at)::text as latest from audit_log`)).toEqual([audit]);
    expect(await pact.sql(sql`select id from users order by id`)).toEqual(users);

    // Twice the same day, or a clock set back: nothing moves.
    expect(await ageDemoData(pact.database, later)).toEqual([]);
    expect(await ageDemoData(pact.database, SEEDED_ON)).toEqual([]);
    const [anchor] = await pact.sql<{ anchored_on: string }>(sql`select anchored_on::text from demo_data_anchors where tenant_id = ${demo()}`);
    expect(anchor?.anchored_on).toBe(later);
  });
});

