import { useQuery } from '@tanstack/react-query';
import { run } from '../api';
import { ConsoleConsentSubjectDocument, ConsoleContactDocument } from '../ops';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import { Empty, ErrorState, Loading, Page, when } from '../ui';
import { ConsentActions } from './consent-actions';
import { FireOnRecord } from './agents';
import { ConsentHistory } from './consent';

export function ContactPage({ id }: { id: string }) {
  const { can } = useSession();
  const contact = useQuery({ queryKey: ['contact', id], queryFn: () => run(ConsoleContactDocument, { id }) });
  const c = contact.data?.contact;
  const email = c?.email ?? null;
  const consent = useQuery({
    queryKey: ['consent-subject', email],
    enabled: !!email && can('write:consent'),
    queryFn: () => run(ConsoleConsentSubjectDocument, { subject: { kind: 'EMAIL', value: email ?? '' } }),
  });
  const status = consent.data?.consentSubject?.status ?? 'GRANTED';
  return (
    <Page title={c?.name ?? 'Contact'} actions={<Link to="/contacts">Back to contacts</Link>}>
      {contact.isPending ? (
        <Loading what="Loading contact" />
      ) : contact.error ? (
        <ErrorState error={contact.error} retry={() => void contact.refetch()} />
      ) : !c ? (
        <Empty>This contact does not exist, or consent hides it (suppressed, withdrawn or erased subjects are counted, never shown).</Empty>
      ) : (
        <div className="detail">
          <dl className="fields">
            <dt>Name</dt>
            <dd>{c.name ?? '(unreadable: the tenant key was revoked)'}</dd>
            <dt>E-mail</dt>
            <dd>{c.email ?? '—'}</dd>
            <dt>Phone</dt>
            <dd>{c.phone ?? '—'}</dd>
            <dt>Title</dt>
            <dd>{c.title ?? '—'}</dd>
            <dt>Account</dt>
            <dd>{c.accountName ?? '—'}</dd>
            <dt>Owner</dt>
            <dd>{c.ownerName ?? '—'}</dd>
            <dt>Updated</dt>
            <dd>{when(c.updatedAt)}</dd>
          </dl>
          <p className="hint">Name, e-mail and phone are personal data, decrypted with the tenant key for this request and never stored in clear.</p>
          <section aria-labelledby="consent-title" className="card">
            <h2 id="consent-title">Consent</h2>
            {!can('write:consent') ? (
              <p className="hint">Consent status and history are shown to managers, admins and owners (write:consent).</p>
            ) : consent.isPending ? (
              <Loading what="Loading consent" />
            ) : consent.error ? (
              <ErrorState error={consent.error} />
            ) : (
              <>
                <p>
                  Status: <strong data-testid="consent-status">{status}</strong>
                  {consent.data?.consentSubject ? null : ' (no record: consent granted by default)'}
                </p>
                {consent.data?.consentSubject ? <ConsentHistory history={consent.data.consentSubject.history} /> : null}
                {email ? <ConsentActions kind="EMAIL" value={email} status={status} onDone={() => navigate('/contacts')} /> : null}
              </>
            )}
          </section>
          <FireOnRecord targetId={c.id} kind="contact" />
        </div>
      )}
    </Page>
  );
}
