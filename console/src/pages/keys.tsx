import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { run } from '../api';
import { ConsoleApiKeysDocument, ConsoleCreateApiKeyDocument, ConsoleRevokeApiKeyDocument, type ConsoleApiKeyFieldsFragment } from '../ops';
import { useSession } from '../session';
import { Confirm, Empty, ErrorState, Loading, Page, when } from '../ui';

/** A minted key's secret: shown this once (the API never returns it again), with a copy button. */
export function SecretOnce({ secret }: { secret: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="secret" role="status">
      <p>
        <strong>Copy this secret now: it is shown once.</strong>
      </p>
      <code data-testid="minted-secret">{secret}</code>
      <button
        type="button"
        onClick={() => {
          void navigator.clipboard?.writeText(secret).then(() => setCopied(true));
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

function Mint() {
  const { viewer } = useSession();
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [trusted, setTrusted] = useState(true);
  const mint = useMutation({
    mutationFn: () => run(ConsoleCreateApiKeyDocument, { input: { name: name.trim(), scopes, trustedDocumentsOnly: trusted } }),
    onSuccess: () => {
      setName('');
      void client.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  const offered = viewer.scopes.filter((s) => s !== 'admin:keys');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    mint.mutate();
  };
  const secret = mint.data?.createApiKey.secret;
  return (
    <section className="card" aria-labelledby="mint-title">
      <h2 id="mint-title">Mint a key</h2>
      <form onSubmit={submit} className="stack">
        <label>
          Name
          <input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <fieldset>
          <legend>Scopes (no wider than yours)</legend>
          <div className="checks">
            {offered.map((s) => (
              <label key={s}>
                <input type="checkbox" checked={scopes.includes(s)} onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))} /> {s}
              </label>
            ))}
          </div>
        </fieldset>
        <label>
          <input type="checkbox" checked={trusted} onChange={(e) => setTrusted(e.target.checked)} /> Persisted operations only (recommended)
        </label>
        <button type="submit" className="primary" disabled={mint.isPending || scopes.length === 0}>
          Mint key
        </button>
      </form>
      {mint.error ? <ErrorState error={mint.error} /> : null}
      {secret ? <SecretOnce key={secret} secret={secret} /> : null}
    </section>
  );
}

export function KeysPage() {
  const client = useQueryClient();
  const [showRevoked, setShowRevoked] = useState(false);
  const [revoking, setRevoking] = useState<ConsoleApiKeyFieldsFragment | null>(null);
  const keys = useQuery({ queryKey: ['api-keys', showRevoked], queryFn: () => run(ConsoleApiKeysDocument, { includeRevoked: showRevoked }) });
  const revoke = useMutation({
    mutationFn: (id: string) => run(ConsoleRevokeApiKeyDocument, { id }),
    onSuccess: () => {
      setRevoking(null);
      void client.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  const items = keys.data?.apiKeys;
  return (
    <Page title="API keys">
      <Mint />
      <label className="inline">
        <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.target.checked)} /> Show revoked keys
      </label>
      {keys.isPending ? (
        <Loading what="Loading keys" />
      ) : keys.error ? (
        <ErrorState error={keys.error} retry={() => void keys.refetch()} />
      ) : !items || items.length === 0 ? (
        <Empty>No API keys yet.</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((k) => (
                <tr key={k.id} data-testid={`key-${k.name}`}>
                  <td>{k.name}</td>
                  <td>
                    <code>{k.prefix}…</code>
                  </td>
                  <td>{k.scopes.join(', ')}</td>
                  <td>
                    {when(k.createdAt)}
                    {k.createdByEmail ? ` by ${k.createdByEmail}` : ''}
                  </td>
                  <td>{k.revokedAt ? `Revoked ${when(k.revokedAt)}` : 'Active'}</td>
                  <td>
                    {k.revokedAt ? null : (
                      <button type="button" className="danger" onClick={() => setRevoking(k)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {revoking ? (
        <Confirm
          title={`Revoke ${revoking.name}?`}
          confirmLabel="Revoke key"
          danger
          busy={revoke.isPending}
          onCancel={() => setRevoking(null)}
          onConfirm={() => revoke.mutate(revoking.id)}
        >
          <p>Every call with this key is refused from now on, on every instance. This cannot be undone.</p>
          {revoke.error ? <ErrorState error={revoke.error} /> : null}
        </Confirm>
      ) : null}
    </Page>
  );
}
