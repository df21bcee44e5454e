import { useQuery } from '@tanstack/react-query';
import { run } from '../api';
import { ConsoleUsageDocument } from '../ops';
import { setParams, useLocation } from '../router';
import { BarChart, Empty, ErrorState, Loading, Page, cents } from '../ui';

export function UsagePage() {
  const { params } = useLocation();
  const days = Number(params.get('days') ?? 30);
  const to = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  const usage = useQuery({ queryKey: ['usage', from, to], queryFn: () => run(ConsoleUsageDocument, { from, to }) });
  const report = usage.data?.usage;
  const ai = usage.data?.aiSettings;
  return (
    <Page
      title="Usage & cost"
      actions={
        <label>
          Period{' '}
          <select value={String(days)} onChange={(e) => setParams({ days: e.target.value })}>
            <option value="7">7 days</option>
            <option value="30">30 days</option>
            <option value="90">90 days</option>
          </select>
        </label>
      }
    >
      {usage.isPending ? (
        <Loading what="Reading the ledger" />
      ) : usage.error ? (
        <ErrorState error={usage.error} retry={() => void usage.refetch()} />
      ) : !report || !ai ? null : (
        <>
          <div className="stats">
            <div>
              <span>Calls</span>
              <strong data-testid="usage-calls">{report.totalCalls.toLocaleString()}</strong>
            </div>
            <div>
              <span>Cost</span>
              <strong data-testid="usage-cost">{cents(report.totalCents)}</strong>
            </div>
            <div>
              <span>AI budget ({ai.month.slice(0, 7)})</span>
              <strong>{cents(ai.monthlyBudgetCents)}</strong>
            </div>
            <div>
              <span>AI spent · left</span>
              <strong data-testid="ai-left">
                {cents(ai.spentCents)} · {cents(ai.remainingCents)}
              </strong>
            </div>
          </div>
          <meter className="budget" min={0} max={Math.max(ai.monthlyBudgetCents, 0.01)} value={ai.spentCents} aria-label="AI budget used" />
          {report.days.length === 0 ? (
            <Empty>No charged calls between {report.from} and {report.to}.</Empty>
          ) : (
            <div className="charts">
              <BarChart title="Cost per day" series={['Cost', 'Calls ÷ 100']} bars={report.days.map((d) => ({ label: d.day, values: [d.costCents, d.calls / 100] }))} format={(n) => n.toFixed(2)} />
              <BarChart title="Cost per tool" series={['Cost (¢)']} bars={report.tools.slice(0, 15).map((t) => ({ label: t.operation, values: [t.costCents] }))} format={(n) => `${n.toFixed(2)}¢`} />
            </div>
          )}
        </>
      )}
    </Page>
  );
}
