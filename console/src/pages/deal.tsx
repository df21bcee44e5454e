import { useQuery } from '@tanstack/react-query';
import { run } from '../api';
import { ConsoleDealDocument } from '../ops';
import { Link } from '../router';
import { Empty, ErrorState, Loading, Page, money, when } from '../ui';
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
          <FireOnRecord targetId={d.id} kind="deal" />
        </div>
      )}
    </Page>
  );
}
