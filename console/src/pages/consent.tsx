import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { run } from '../api';
import { ConsoleConsentSubjectDocument, ConsoleConsentSubjectsDocument, type ConsentStatus, type ConsentSubjectKind, type ConsoleConsentFieldsFragment } from '../ops';
import { setParams, useLocation } from '../router';
import { useSession } from '../session';
import { Empty, ErrorState, Loading, Page, when } from '../ui';
import { ConsentActions } from './consent-actions';
import { Pager } from './list-controls';

export function ConsentHistory({ history }: { history: ConsoleConsentFieldsFragment['history'] }) {
  if (history.length === 0) return <p className="hint">No history.</p>;
  return (
    <ol className="history">
      {history.map((h, i) => (
        <li key={i}>
          <time dateTime={h.at}>{when(h.at)}</time>: {h.fromStatus ?? '—'} → <strong>{h.toStatus}</strong>
          {h.reason ? ` (“${h.reason}”)` : ''}
        </li>
      ))}
    </ol>
  );
}

/** Look one subject up by e-mail or domain, see its status and history, change it. */
function Lookup() {
  const [kind, setKind] = useState<ConsentSubjectKind>('DOMAIN');
  const [value, setValue] = useState('');
  const [asked, setAsked] = useState<{ kind: ConsentSubjectKind; value: string } | null>(null);
  const subject = useQuery({
    queryKey: ['consent-subject', asked?.kind, asked?.value],
    enabled: !!asked,
    queryFn: () => run(ConsoleConsentSubjectDocument, { subject: asked ?? { kind, value } }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (value.trim()) setAsked({ kind, value: value.trim() });
  };
  const found = subject.data?.consentSubject;
  return (
    <section className="card" aria-labelledby="lookup-title">
      <h2 id="lookup-title">Look up a subject</h2>
      <form className="search" onSubmit={submit}>
        <select aria-label="Subject kind" value={kind} onChange={(e) => setKind(e.target.value as ConsentSubjectKind)}>
          <option value="DOMAIN">Domain</option>
          <option value="EMAIL">E-mail</option>
        </select>
        <input aria-label="E-mail or domain" placeholder={kind === 'EMAIL' ? 'person@example.com' : 'example.com'} value={value} onChange={(e) => setValue(e.target.value)} />
        <button type="submit">Look up</button>
      </form>
      {!asked ? null : subject.isPending ? (
        <Loading />
      ) : subject.error ? (
        <ErrorState error={subject.error} />
      ) : (
        <div>
          <p>
            {asked.value}: <strong data-testid="lookup-status">{found?.status ?? 'GRANTED'}</strong>
            {found ? '' : ' (no record: consent granted by default)'}
          </p>
          {found ? <ConsentHistory history={found.history} /> : null}
          <ConsentActions kind={asked.kind} value={asked.value} status={found?.status ?? 'GRANTED'} />
        </div>
      )}
    </section>
  );
}

const STATUSES: ('' | ConsentStatus)[] = ['', 'SUPPRESSED', 'WITHDRAWN', 'ERASED', 'GRANTED'];

export function ConsentPage() {
  const { can } = useSession();
  const { params } = useLocation();
  const status = (params.get('status') ?? '') as '' | ConsentStatus;
  const after = params.get('after');
  const list = useQuery({
    queryKey: ['consent-subjects', status, after],
    enabled: can('read:consent'),
    queryFn: () => run(ConsoleConsentSubjectsDocument, { status: status || null, first: 25, after }),
    placeholderData: keepPreviousData,
  });
  const data = list.data;
  return (
    <Page title="Consent">
      {can('read:consent') ? (
        list.isPending ? (
          <Loading what="Loading consent records" />
        ) : list.error ? (
          <ErrorState error={list.error} retry={() => void list.refetch()} />
        ) : data ? (
          <>
            <div className="stats" data-testid="consent-counts">
              <div>
                <span>Hidden accounts</span>
                <strong data-testid="hidden-accounts">{data.consentOverview.hidden.accounts}</strong>
              </div>
              <div>
                <span>Hidden contacts</span>
                <strong data-testid="hidden-contacts">{data.consentOverview.hidden.contacts}</strong>
              </div>
              <div>
                <span>Hidden deals</span>
                <strong data-testid="hidden-deals">{data.consentOverview.hidden.deals}</strong>
              </div>
              <div>
                <span>Suppressed · withdrawn · erased</span>
                <strong>
                  {data.consentOverview.subjects.suppressed} · {data.consentOverview.subjects.withdrawn} · {data.consentOverview.subjects.erased}
                </strong>
              </div>
            </div>
            <label className="inline">
              Status{' '}
              <select value={status} onChange={(e) => setParams({ status: e.target.value, after: null, back: null })}>
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {s || 'Any'}
                  </option>
                ))}
              </select>
            </label>
            {data.consentSubjects.items.length === 0 ? (
              <Empty>No consent records{status ? ` with status ${status}` : ''}: every subject is granted by default.</Empty>
            ) : (
              <>
                <div className="table-wrap">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Subject</th>
                        <th scope="col">Kind</th>
                        <th scope="col">Status</th>
                        <th scope="col">Changed</th>
                        <th scope="col">History</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.consentSubjects.items.map((s) => (
                        <tr key={s.id}>
                          <td>{s.value ?? <span className="hint">(e-mail: only its blind index is stored)</span>}</td>
                          <td>{s.kind}</td>
                          <td>{s.status}</td>
                          <td>{when(s.updatedAt)}</td>
                          <td>{s.history.map((h) => h.toStatus).join(' → ')}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <Pager returned={data.consentSubjects.returned} nextCursor={data.consentSubjects.nextCursor} busy={list.isFetching} />
              </>
            )}
          </>
        ) : null
      ) : (
        <p className="hint">The consent list needs read:consent (managers, admins, owners).</p>
      )}
      <Lookup />
    </Page>
  );
}
