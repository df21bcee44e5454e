import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { run } from '../api';
import { ConsoleContactsDocument } from '../ops';
import { Link, setParams, useLocation } from '../router';
import { ConsentNote, Empty, ErrorState, Loading, Page } from '../ui';
import { Pager, SearchForm } from './list-controls';

export function ContactsPage() {
  const { params } = useLocation();
  const search = params.get('q') ?? '';
  const after = params.get('after');
  const contacts = useQuery({
    queryKey: ['contacts', search, after],
    queryFn: () => run(ConsoleContactsDocument, { search: search || null, first: 25, after }),
    placeholderData: keepPreviousData,
  });
  const list = contacts.data?.contacts;
  return (
    <Page title="Contacts">
      <SearchForm label="Search contacts (name, title, account)" value={search} onSearch={(q) => setParams({ q, after: null, back: null })} />
      {list ? <ConsentNote filtered={list.consentFiltered} note={list.note} /> : <p className="consent-note">Counting records hidden by consent…</p>}
      {contacts.isPending ? (
        <Loading what="Loading contacts" />
      ) : contacts.error ? (
        <ErrorState error={contacts.error} retry={() => void contacts.refetch()} />
      ) : !list || list.items.length === 0 ? (
        <Empty>{search ? `No contact matches “${search}”.` : 'No contacts yet.'}</Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">E-mail</th>
                  <th scope="col">Title</th>
                  <th scope="col">Account</th>
                  <th scope="col">Owner</th>
                </tr>
              </thead>
              <tbody>
                {list.items.map((c) => (
                  <tr key={c.id}>
                    <td>
                      <Link to={`/contacts/${c.id}`}>{c.name ?? '(name unreadable)'}</Link>
                    </td>
                    <td>{c.email ?? '—'}</td>
                    <td>{c.title ?? '—'}</td>
                    <td>{c.accountName ?? '—'}</td>
                    <td>{c.ownerName ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager returned={list.returned} nextCursor={list.nextCursor} busy={contacts.isFetching} />
        </>
      )}
    </Page>
  );
}
