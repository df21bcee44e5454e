import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES, withHiddenAccount } from '../../scripts/eval/cases';
import { runEval, type EvalClient } from '../../scripts/eval/harness';
import { TEST_TODAY, startTestPact, type TestPact } from '../helpers/pact';

/** The evaluation's smaller version (`npm run eval` runs every case on the full demo seed): the same harness on the test seed. */
const SMALL = new Set(
  (process.env.EVAL_ALL ? CASES.map((c) => c.id) : [
    'stage-negotiation', 'risk-quarter', 'negotiation-next-month', 'my-close-this-month', 'overdue', 'won-last-quarter', 'by-owner', 'account-happening',
    'account-about', 'no-match', 'hidden-account', 'deal-risk-mine', 'account-research-slipped', 'drafter-instructions', 'briefing', 'metric-win-rate',
    'follow-up-open-deals', 'follow-up-switch', 'follow-up-last-person', 'contact-latest', 'contact-withdrawn',
  ]),
);

let pact: TestPact;
let client: EvalClient;
beforeAll(async () => {
  pact = await startTestPact();
  const token = await pact.signIn('admin@pact.demo');
  const [me] = await pact.sql<{ id: string; name: string }>(sql`select id, display_name as name from users where email = 'admin@pact.demo'`);
  client = {
    gql: (query, variables) => pact.gql(query, variables, { token }),
    sql: (query) => pact.sql(query),
    tenantId: pact.seed.demoTenantId,
    userId: me?.id ?? '',
    userName: me?.name ?? '',
    today: TEST_TODAY,
  };
});
afterAll(() => pact.close());

describe('the agents’ evaluation (smaller set, offline provider)', () => {
  it('answers the everyday questions with the expected facts and citations', async () => {
    const cases = (await withHiddenAccount(client, CASES)).filter((c) => SMALL.has(c.id));
    const report = await runEval(client, cases);
    const failed = report.cases.filter((r) => !r.passed).map((r) => ({ id: r.id, error: r.error, missing: r.missing, forbidden: r.forbidden, answer: r.answer }));
    if (process.env.EVAL_DEBUG) console.log(report.cases.map((r) => `${r.id} cited=${r.cited} correct=${r.correct} expected=${r.expected} hits=${r.hits}`).join('\n'));
    expect(failed).toEqual([]);
    expect(report.citationPrecision).toBeGreaterThanOrEqual(0.9);
    expect(report.citationRecall).toBeGreaterThanOrEqual(0.9);
    // Offline answers cost the tool's price only: 0.5¢ per question, 1¢ per agent run.
    expect(report.costPerAnswerCents).toBeGreaterThan(0);
    expect(report.costPerAnswerCents).toBeLessThanOrEqual(1);
  });
});
