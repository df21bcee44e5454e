import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/lib/clock';
import { newId } from '../../src/lib/ids';
import { startTestPact, type TestPact } from '../helpers/pact';

/** The AI budget's month is the injected clock's, not the system's: checked across a month boundary. */
let pact: TestPact;
let admin: string;
let at = new Date('2026-11-30T23:59:00.000Z');
const clock: Clock = { now: () => new Date(at.getTime()) };

beforeAll(async () => {
  pact = await startTestPact({ clock });
  admin = await pact.signIn('admin@pact.demo');
});
afterAll(() => pact.close());

const SETTINGS = '{ aiSettings { month monthlyBudgetCents spentCents } }';
const ASK = '{ askWorkspace(question: "Which deals are in negotiation?") { runId } }';

describe('the AI budget on the injected clock', () => {
  it('counts the clock’s month: spent on 30 November, fresh on 1 December; runs are stamped by the clock', async () => {
    const set = await pact.gql('mutation { updateAiSettings(input: { monthlyBudgetCents: 1 }) { monthlyBudgetCents } }', {}, { token: admin });
    expect(set.body.errors).toBeUndefined();
    // One cent of model spend by a run on 30 November (clock time).
    await pact.sql(sql`insert into agent_runs (id, tenant_id, agent, path, input_digest, outcome, provider, model, cost_microcents, created_at)
      values (${newId()}, ${pact.seed.demoTenantId}, 'workspace-qa', 'graphql', 'x', 'ok', 'anthropic', 'claude-sonnet-4-6', 1000000, '2026-11-30T12:00:00Z')`);

    const november = await pact.gql<{ aiSettings: { month: string; spentCents: number } }>(SETTINGS, {}, { token: admin });
    expect(november.body.data?.aiSettings).toEqual({ month: '2026-11-01', monthlyBudgetCents: 1, spentCents: 1 });
    const refused = await pact.gql(ASK, {}, { token: admin });
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'AI_BUDGET_EXCEEDED', spent_cents: 1, resets_on: '2026-12-01' });

    at = new Date('2026-12-01T00:00:30.000Z');
    const december = await pact.gql<{ aiSettings: { month: string; spentCents: number } }>(SETTINGS, {}, { token: admin });
    expect(december.body.data?.aiSettings).toEqual({ month: '2026-12-01', monthlyBudgetCents: 1, spentCents: 0 });
    const answered = await pact.gql<{ askWorkspace: { runId: string } }>(ASK, {}, { token: admin });
    expect(answered.body.errors).toBeUndefined();
    const [run] = await pact.sql<{ created: string }>(
      sql`select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as created from agent_runs where id = ${answered.body.data?.askWorkspace.runId}`,
    );
    expect(run?.created).toBe('2026-12-01T00:00:30');

    // Back on 30 November (a clock set back), December's runs do not count and November's spend still does.
    at = new Date('2026-11-30T23:59:59.000Z');
    const back = await pact.gql(SETTINGS, {}, { token: admin });
    expect(back.body.data).toEqual({ aiSettings: { month: '2026-11-01', monthlyBudgetCents: 1, spentCents: 1 } });
  });
});
