import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { run } from '../api';
import { ConsoleAccountsDocument } from '../ops';
import { setParams, useLocation } from '../router';
import { ConsentNote, Empty, ErrorState, Loading, Page } from '../ui';
import { Pager, SearchForm } from './list-controls';

const INDUSTRIES = ['', 'Education', 'Energy', 'Finance', 'Healthcare', 'Logistics', 'Manufacturing', 'Retail', 'Software'];

export function AccountsPage() {
  const { params } = useLocation();
  const search = params.get('q') ?? '';
  const industry = params.get('industry') ?? '';
  const after = params.get('after');
  const accounts = useQuery({
    queryKey: ['accounts', search, industry, after],
    queryFn: () => run(ConsoleAccountsDocument, { search: search || null, industry: industry || null, first: 25, after }),
    placeholderData: keepPreviousData,
  });
  const list = accounts.data?.accounts;
  return (
    <Page title="Accounts">
      <SearchForm label="Search accounts" value={search} onSearch={(q) => setParams({ q, after: null, back: null })}>
        <label>
          <span className="sr-only">Industry</span>
          <select aria-label="Industry" value={industry} onChange={(e) => setParams({ industry: e.target.value, after: null, back: null })}>
            {INDUSTRIES.map((i) => (
              <option key={i} value={i}>
                {i || 'Any industry'}
              </option>
            ))}
          </select>
        </label>
      </SearchForm>
      {list ? <ConsentNote filtered={list.consentFiltered} note={list.note} /> : <p className="consent-note">Counting records hidden by consent…</p>}
      {accounts.isPending ? (
        <Loading what="Loading accounts" />
      ) : accounts.error ? (
        <ErrorState error={accounts.error} retry={() => void accounts.refetch()} />
      ) : !list || list.items.length === 0 ? (
        <Empty>{search || industry ? 'No account matches these filters.' : 'No accounts yet.'}</Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Domain</th>
                  <th scope="col">Industry</th>
                  <th scope="col">Employees</th>
                  <th scope="col">Owner</th>
                </tr>
              </thead>
              <tbody>
                {list.items.map((a) => (
                  <tr key={a.id}>
                    <td>{a.name}</td>
                    <td>{a.domain ?? '—'}</td>
                    <td>{a.industry ?? '—'}</td>
                    <td>{a.employeeCount?.toLocaleString() ?? '—'}</td>
                    <td>{a.ownerName ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager returned={list.returned} nextCursor={list.nextCursor} busy={accounts.isFetching} />
        </>
      )}
    </Page>
  );
}
