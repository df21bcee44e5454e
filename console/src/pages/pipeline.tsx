import { useQuery } from '@tanstack/react-query';
import { run } from '../api';
import { ConsoleDealOutcomesDocument, ConsolePipelineDocument, type DealStage } from '../ops';
import { Link } from '../router';
import { BarChart, ConsentNote, Empty, ErrorState, Loading, Page, money } from '../ui';

export const STAGES: { key: DealStage; label: string }[] = [
  { key: 'PROSPECTING', label: 'Prospecting' },
  { key: 'QUALIFICATION', label: 'Qualification' },
  { key: 'PROPOSAL', label: 'Proposal' },
  { key: 'NEGOTIATION', label: 'Negotiation' },
  { key: 'CLOSED_WON', label: 'Won' },
  { key: 'CLOSED_LOST', label: 'Lost' },
];

const MONTHS_SHOWN = 12;

/** Won and lost value per close month, from every consented closed deal (the server sums them: `dealOutcomes`). */
function OutcomesChart() {
  const outcomes = useQuery({ queryKey: ['deal-outcomes'], queryFn: () => run(ConsoleDealOutcomesDocument) });
  const months = outcomes.data?.dealOutcomes.months.slice(-MONTHS_SHOWN) ?? [];
  if (outcomes.isPending) return <Loading what="Loading won and lost deals" />;
  if (outcomes.error) return <ErrorState error={outcomes.error} retry={() => void outcomes.refetch()} />;
  if (months.length === 0) return <Empty>No deal has been won or lost yet.</Empty>;
  return (
    <BarChart
      title={`Won and lost by close month (last ${months.length} with a closed deal; ${months.reduce((n, m) => n + m.won, 0)} won, ${months.reduce((n, m) => n + m.lost, 0)} lost)`}
      series={['Won', 'Lost']}
      bars={months.map((m) => ({ label: m.month, values: [m.wonValue, m.lostValue] }))}
      format={money}
    />
  );
}

export function PipelinePage() {
  const pipeline = useQuery({ queryKey: ['pipeline'], queryFn: () => run(ConsolePipelineDocument) });
  const health = pipeline.data?.pipelineHealth;
  const deals = pipeline.data?.deals;
  return (
    <Page title="Pipeline">
      {health ? <ConsentNote filtered={health.consentFiltered} note={health.note} /> : <p className="consent-note">Counting records hidden by consent…</p>}
      {pipeline.isPending ? (
        <Loading what="Loading the pipeline" />
      ) : pipeline.error ? (
        <ErrorState error={pipeline.error} retry={() => void pipeline.refetch()} />
      ) : !health || !deals ? null : (
        <>
          <div className="stats">
            <div>
              <span>Open deals</span>
              <strong>{health.openDeals}</strong>
            </div>
            <div>
              <span>Open value</span>
              <strong>{money(health.openValue)}</strong>
            </div>
            <div>
              <span>Weighted</span>
              <strong>{money(health.weightedValue)}</strong>
            </div>
            <div>
              <span>Win rate</span>
              <strong>{Math.round(health.winRate * 100)}%</strong>
            </div>
          </div>
          <div className="charts">
            <BarChart
              title="Value and weighted value by stage"
              series={['Value', 'Weighted value']}
              bars={STAGES.map((s) => {
                const h = health.byStage.find((b) => b.stage === s.key);
                return { label: s.label, values: [h?.value ?? 0, h?.weightedValue ?? 0] };
              })}
              format={money}
            />
            <OutcomesChart />
          </div>
          <h2>Board</h2>
          {deals.items.length === 0 ? (
            <Empty>No deals yet.</Empty>
          ) : (
            <div className="board" role="list" aria-label="Deals by stage">
              {STAGES.map((s) => {
                const column = deals.items.filter((d) => d.stage === s.key);
                return (
                  <section key={s.key} className="column" role="listitem" aria-labelledby={`col-${s.key}`}>
                    <h3 id={`col-${s.key}`}>
                      {s.label} <span className="count">{column.length}</span>
                    </h3>
                    <ul>
                      {column.map((d) => (
                        <li key={d.id} className="deal-card">
                          <Link to={`/deals/${d.id}`}>{d.name}</Link>
                          <span>{d.accountName}</span>
                          <span>
                            {money(d.amount)} · {d.probability}%
                          </span>
                        </li>
                      ))}
                    </ul>
                  </section>
                );
              })}
            </div>
          )}
          {deals.hasMore ? <p className="hint">The board shows the first {deals.returned} deals.</p> : null}
        </>
      )}
    </Page>
  );
}
