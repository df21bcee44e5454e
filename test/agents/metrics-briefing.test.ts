import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_TODAY, startTestPact, type TestPact } from '../helpers/pact';
import { assertCitationsResolve, inlineCitations, type Citation } from './helpers';

let pact: TestPact;
let admin: string;
beforeAll(async () => {
  pact = await startTestPact();
  admin = await pact.signIn('admin@pact.demo');
});
afterAll(() => pact.close());

const demo = () => pact.seed.demoTenantId;
const PERIODS = { from: '2026-07-01', to: '2026-12-31', compareFrom: '2026-01-01', compareTo: '2026-06-30' };

interface Driver {
  key: string;
  current: number | null;
  previous: number | null;
  contribution: number;
}
interface Explanation {
  kpi: string;
  current: number | null;
  previous: number | null;
  delta: number | null;
  summary: string;
  drivers: { stage: Driver[]; owner: Driver[]; industry: Driver[] };
  largeDeals: { id: string; period: string; contribution: number }[];
  citations: Citation[];
  consentFiltered: number;
}

const EXPLAIN = `query($kpi: Kpi!, $from: Date, $to: Date, $compareFrom: Date, $compareTo: Date) {
  metricExplanation(kpi: $kpi, from: $from, to: $to, compareFrom: $compareFrom, compareTo: $compareTo) {
    kpi current previous delta summary consentFiltered
    drivers { stage { key current previous contribution } owner { key current previous contribution } industry { key current previous contribution } }
    largeDeals { id period contribution }
    citations { kind id label }
  }
}`;

const explain = async (kpi: string, periods: Record<string, string> = PERIODS) => {
  const res = await pact.gql<{ metricExplanation: Explanation }>(EXPLAIN, { kpi, ...periods }, { token: admin });
  expect(res.body.errors).toBeUndefined();
  return res.body.data?.metricExplanation as Explanation;
};

const sum = (list: Driver[]) => list.reduce((s, d) => s + d.contribution, 0);

describe('get_metric_explanation (aggregates only)', () => {
  it('open pipeline: both periods match the consented deals, and each dimension’s drivers add up to the change', async () => {
    const m = await explain('OPEN_PIPELINE');
    const [expected] = await pact.sql<{ cur: number; prev: number; hidden: number }>(sql`
      select coalesce(sum(amount_cents) filter (where close_date between '2026-07-01' and '2026-12-31' and not consent_hidden and stage in ('prospecting','qualification','proposal','negotiation')), 0)::float8 / 100 as cur,
             coalesce(sum(amount_cents) filter (where close_date between '2026-01-01' and '2026-06-30' and not consent_hidden and stage in ('prospecting','qualification','proposal','negotiation')), 0)::float8 / 100 as prev,
             (count(*) filter (where consent_hidden and close_date between '2026-01-01' and '2026-12-31'))::int as hidden
      from deals where tenant_id = ${demo()}`);
    expect(m).toMatchObject({ kpi: 'OPEN_PIPELINE', current: expected?.cur, previous: expected?.prev, consentFiltered: expected?.hidden });
    expect(m.delta).toBeCloseTo((expected?.cur ?? 0) - (expected?.prev ?? 0), 2);
    for (const dim of ['stage', 'owner', 'industry'] as const) expect(sum(m.drivers[dim]), dim).toBeCloseTo(m.delta ?? 0, 1);
    expect(m.largeDeals.length).toBeGreaterThan(0);
    for (const d of m.largeDeals) expect(Math.abs(d.contribution)).toBeGreaterThan(0);
    expect(m.citations.map((c) => c.id)).toEqual(m.largeDeals.slice(0, 3).map((d) => d.id));
    expect(inlineCitations(m.summary).map((c) => c.id)).toEqual(m.citations.map((c) => c.id));
    await assertCitationsResolve(pact, m.citations);
  });

  it('win rate: a ratio whose drivers still add up to the change', async () => {
    const m = await explain('WIN_RATE');
    const [expected] = await pact.sql<{ cur: number; prev: number }>(sql`
      select (count(*) filter (where stage = 'closed_won' and close_date >= '2026-07-01'))::float8 / nullif(count(*) filter (where close_date >= '2026-07-01'), 0) as cur,
             (count(*) filter (where stage = 'closed_won' and close_date < '2026-07-01'))::float8 / nullif(count(*) filter (where close_date < '2026-07-01'), 0) as prev
      from deals where tenant_id = ${demo()} and not consent_hidden and stage in ('closed_won', 'closed_lost') and close_date between '2026-01-01' and '2026-12-31'`);
    expect(m.current).toBeCloseTo(expected?.cur ?? 0, 4);
    expect(m.previous).toBeCloseTo(expected?.prev ?? 0, 4);
    for (const dim of ['owner', 'industry'] as const) expect(sum(m.drivers[dim]), dim).toBeCloseTo(m.delta ?? 0, 3);
    // Won and lost are the win rate's definition, not a driver of it.
    expect(m.drivers.stage).toEqual([]);
    expect(m.summary).not.toMatch(/closed won|closed lost/);
    expect(m.summary).toMatch(/^Win rate (rose|fell|held) from [\d.]+% \(2026-01-01 to 2026-06-30\) to [\d.]+% \(2026-07-01 to 2026-12-31\)/);
  });

  it.each(['WEIGHTED_PIPELINE', 'AVERAGE_DEAL_SIZE', 'CYCLE_TIME'])('%s is explained too', async (kpi) => {
    const m = await explain(kpi);
    expect(m.kpi).toBe(kpi);
    expect(m.summary.length).toBeGreaterThan(40);
    await assertCitationsResolve(pact, m.citations);
  });

  it('defaults to the last 90 days against the 90 days before, and refuses bad periods', async () => {
    const res = await pact.gql<{ metricExplanation: { period: { from: string; to: string }; comparedTo: { from: string; to: string } } }>(
      '{ metricExplanation(kpi: OPEN_PIPELINE) { period { from to } comparedTo { from to } } }',
      {},
      { token: admin },
    );
    const { period, comparedTo } = res.body.data?.metricExplanation ?? { period: { from: '', to: '' }, comparedTo: { from: '', to: '' } };
    expect(period.to).toBe(TEST_TODAY);
    expect((Date.parse(period.to) - Date.parse(period.from)) / 86_400_000).toBe(89);
    expect((Date.parse(period.from) - Date.parse(comparedTo.to)) / 86_400_000).toBe(1);
    expect((Date.parse(comparedTo.to) - Date.parse(comparedTo.from)) / 86_400_000).toBe(89);
    const bad = await pact.gql('{ metricExplanation(kpi: OPEN_PIPELINE, from: "2026-05-01", to: "2026-01-01") { delta } }', {}, { token: admin });
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

interface Briefing {
  asOf: string;
  scope: string;
  ownerName: string | null;
  pipeline: { openDeals: number; openValue: number; closingSoon: number };
  recentActivity: { id: string; deal: { id: string } }[];
  atRisk: { deal: { id: string; closeDate: string | null }; level: string; reasons: string[] }[];
  narrative: string;
  citations: Citation[];
  consentFiltered: number;
}

const BRIEFING = `query($asOf: Date) { briefing(asOf: $asOf) {
  asOf scope ownerName pipeline { openDeals openValue closingSoon }
  recentActivity { id deal { id } } atRisk { deal { id closeDate } level reasons } narrative citations { kind id label } consentFiltered
} }`;

describe('read_briefing', () => {
  it("a signed-in user's briefing covers the deals they own: snapshot, recent activity, deals at risk, narrative citing them", async () => {
    const member = await pact.signIn('member@pact.demo');
    const [user] = await pact.sql<{ id: string }>(sql`select id from users where email = 'member@pact.demo'`);
    const [latest] = await pact.sql<{ day: string }>(sql`
      select to_char(max(x.occurred_at) at time zone 'UTC', 'YYYY-MM-DD') as day from activities x join deals d on d.id = x.deal_id
      where d.tenant_id = ${demo()} and d.owner_id = ${user?.id} and not d.consent_hidden`);
    const res = await pact.gql<{ briefing: Briefing }>(BRIEFING, { asOf: latest?.day }, { token: member });
    expect(res.body.errors).toBeUndefined();
    const b = res.body.data?.briefing as Briefing;
    const [open] = await pact.sql<{ n: number; value: number; hidden: number }>(sql`
      select (count(*) filter (where not consent_hidden and stage in ('prospecting','qualification','proposal','negotiation')))::int as n,
             coalesce(sum(amount_cents) filter (where not consent_hidden and stage in ('prospecting','qualification','proposal','negotiation')), 0)::float8 / 100 as value,
             (count(*) filter (where consent_hidden))::int as hidden
      from deals where tenant_id = ${demo()} and owner_id = ${user?.id}`);
    expect(b).toMatchObject({ asOf: latest?.day, scope: 'user', ownerName: 'Member (Demo)', consentFiltered: open?.hidden });
    expect(b.pipeline).toMatchObject({ openDeals: open?.n, openValue: open?.value });
    expect(b.recentActivity.length).toBeGreaterThan(0);
    const dealIds = [...b.recentActivity.map((a) => a.deal.id), ...b.atRisk.map((r) => r.deal.id)];
    for (const id of dealIds) {
      const [deal] = await pact.sql<{ owner_id: string }>(sql`select owner_id from deals where id = ${id}`);
      expect(deal?.owner_id).toBe(user?.id);
    }
    for (const r of b.atRisk) {
      expect(r.reasons.length).toBeGreaterThan(0);
      if (r.deal.closeDate && r.deal.closeDate < b.asOf) expect(r.reasons.join(' ')).toMatch(/close date .* passed/);
    }
    expect(b.narrative).toMatch(/^Daily briefing for Member \(Demo\) on /);
    expect(new Set(b.citations.map((c) => c.id))).toEqual(new Set(inlineCitations(b.narrative).map((c) => c.id)));
    // Deals cited are the user's (recent activity, at risk, slipped); accounts cited are quiet accounts holding an open deal of theirs.
    for (const c of b.citations) {
      if (c.kind === 'deal') {
        const [deal] = await pact.sql<{ owner_id: string }>(sql`select owner_id from deals where id = ${c.id}`);
        expect(deal?.owner_id).toBe(user?.id);
      } else {
        expect(c.kind).toBe('account');
        const [held] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from deals where account_id = ${c.id} and owner_id = ${user?.id}
          and stage in ('prospecting','qualification','proposal','negotiation')`);
        expect(held?.n).toBeGreaterThan(0);
      }
    }
    // Deals at risk are ranked by the value at risk: the largest first.
    const amounts = await Promise.all(b.atRisk.map(async (r) => (await pact.sql<{ a: number }>(sql`select amount_cents::float8 as a from deals where id = ${r.deal.id}`))[0]?.a ?? 0));
    expect(amounts).toEqual([...amounts].sort((x, y) => y - x));
    await assertCitationsResolve(pact, b.citations);
  });

  it('an API key holding only read:accounts reads its creator’s briefing; a key with no creator on file, the whole workspace’s', async () => {
    const key = await pact.mintKey(admin, ['read:accounts']);
    const res = await pact.gql<{ briefing: Briefing }>(BRIEFING, { asOf: '2026-06-15' }, { token: key });
    expect(res.body.errors).toBeUndefined();
    const [creator] = await pact.sql<{ id: string; name: string }>(sql`select id, display_name as name from users where email = 'admin@pact.demo'`);
    const [mine] = await pact.sql<{ n: number }>(sql`
      select count(*)::int as n from deals where tenant_id = ${demo()} and owner_id = ${creator?.id} and not consent_hidden and stage in ('prospecting','qualification','proposal','negotiation')`);
    expect(mine?.n).toBeGreaterThan(0);
    expect(res.body.data?.briefing).toMatchObject({ scope: 'user', ownerName: creator?.name, pipeline: { openDeals: mine?.n } });
    expect(res.body.data?.briefing.narrative.startsWith(`Daily briefing for ${creator?.name} on 2026-06-15.`)).toBe(true);
    await assertCitationsResolve(pact, res.body.data?.briefing.citations ?? []);
    for (const c of res.body.data?.briefing.citations ?? []) {
      if (c.kind !== 'deal') continue;
      const [owned] = await pact.sql<{ owner_id: string }>(sql`select owner_id from deals where id = ${c.id}`);
      expect(owned?.owner_id).toBe(creator?.id);
    }
    // …but not the deals themselves, nor the metric explanation.
    const refused = await pact.gql('{ metricExplanation(kpi: WIN_RATE) { delta } }', {}, { token: key });
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'read:deals' });

    // A key whose creator is no longer on file covers the whole workspace.
    const orphan = await pact.mintKey(admin, ['read:accounts']);
    await pact.sql(sql`update api_keys set created_by_user_id = null where prefix = ${orphan.slice(0, 14)}`);
    const whole = await pact.gql<{ briefing: Briefing }>(BRIEFING, { asOf: '2026-06-15' }, { token: orphan });
    const [open] = await pact.sql<{ n: number }>(sql`
      select count(*)::int as n from deals where tenant_id = ${demo()} and not consent_hidden and stage in ('prospecting','qualification','proposal','negotiation')`);
    expect(whole.body.data?.briefing).toMatchObject({ scope: 'tenant', ownerName: null, pipeline: { openDeals: open?.n } });
    expect(whole.body.data?.briefing.narrative).toMatch(/^Daily briefing for the whole workspace on 2026-06-15\./);
  });
});

describe('after the tenant key is revoked (no PII can be read)', () => {
  it('the aggregate and non-PII agents answer exactly as before; a PII agent answers KEY_UNAVAILABLE', async () => {
    const before = await explain('OPEN_PIPELINE');
    const revoked = await pact.gql('mutation { revokeTenantKey { revoked } }', {}, { token: admin });
    expect(revoked.body.errors).toBeUndefined();
    const after = await explain('OPEN_PIPELINE');
    expect(after).toEqual(before);
    const ask = await pact.gql('{ askWorkspace(question: "Which deals are in negotiation?") { citations { id } } }', {}, { token: admin });
    expect(ask.body.errors).toBeUndefined();
    const briefing = await pact.gql(BRIEFING, { asOf: '2026-06-15' }, { token: admin });
    expect(briefing.body.errors).toBeUndefined();
    const [contact] = await pact.sql<{ id: string }>(sql`select id from contacts where tenant_id = ${demo()} and not consent_hidden limit 1`);
    const pii = await pact.gql('query($id: ID) { fireAgent(agent: "contact-summary", targetId: $id) { __typename } }', { id: contact?.id }, { token: admin });
    expect(pii.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'KEY_UNAVAILABLE' });
  });
});
