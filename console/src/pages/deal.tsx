import { useQuery } from '@tanstack/react-query';
import { run } from '../api';
import { ConsoleDealActivitiesDocument, ConsoleDealDocument } from '../ops';
import { Link } from '../router';
import { ConsentNote, Empty, ErrorState, Loading, Page, money, when } from '../ui';
import { FireOnRecord } from './agents';

export function DealPage({ id }: { id: string }) {
  const deal = useQuery({ queryKey: ['deal', id], queryFn: () => run(ConsoleDealDocument, { id }) });
  const d = deal.data?.deal;
  return (
    <Page title={d?.name ?? 'Deal'} actions={<Link to="/pipeline">Back to pipeline</Link>}>
      {deal.isPending ? (
        <Loading what="Loading deal" />
      ) : deal.error ? (
        <ErrorState error={deal.error} retry={() => void deal.refetch()} />
      ) : !d ? (
        <Empty>This deal does not exist, or consent hides its account.</Empty>
      ) : (
        <div className="detail">
          <dl className="fields">
            <dt>Account</dt>
            <dd>{d.accountName}</dd>
            <dt>Stage</dt>
            <dd>{d.stage}</dd>
            <dt>Amount</dt>
            <dd>{money(d.amount)}</dd>
            <dt>Probability</dt>
            <dd>{d.probability}%</dd>
            <dt>Close date</dt>
            <dd>{d.closeDate ?? '—'}</dd>
            <dt>Owner</dt>
            <dd>{d.ownerName ?? '—'}</dd>
            <dt>Updated</dt>
            <dd>{when(d.updatedAt)}</dd>
          </dl>
          <Activities dealId={d.id} />
          <FireOnRecord targetId={d.id} kind="deal" />
        </div>
      )}
    </Page>
  );
}

function Activities({ dealId }: { dealId: string }) {
  const list = useQuery({ queryKey: ['deal-activities', dealId], queryFn: () => run(ConsoleDealActivitiesDocument, { dealId }) });
  const data = list.data?.dealActivities;
  return (
    <section className="card" aria-labelledby="activities-title">
      <h2 id="activities-title">Activities</h2>
      {data ? <ConsentNote filtered={data.consentFiltered} note="Activities logged against a contact that consent hides are counted, not shown." /> : null}
      {list.isPending ? (
        <Loading what="Loading activities" />
      ) : list.error ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : !data || data.items.length === 0 ? (
        <Empty>No activity logged on this deal yet.</Empty>
      ) : (
        <ol className="history" data-testid="deal-activities">
          {data.items.map((a) => (
            <li key={a.id}>
              <time dateTime={a.occurredAt}>{when(a.occurredAt)}</time> · {a.kind.toLowerCase()} · <strong>{a.subject}</strong>
              {a.body ? <p className="hint">{a.body}</p> : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
