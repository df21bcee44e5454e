import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { run } from '../api';
import { ConsoleSettingsDocument, ConsoleTenantKeysDocument, ConsoleUpdateAiSettingsDocument } from '../ops';
import { useSession } from '../session';
import { ErrorState, Loading, Page, cents, when } from '../ui';
import { MembersCard } from './members';

function AiSettingsCard() {
  const { can } = useSession();
  const client = useQueryClient();
  const settings = useQuery({ queryKey: ['settings'], queryFn: () => run(ConsoleSettingsDocument) });
  const [budget, setBudget] = useState<string | null>(null);
  const update = useMutation({
    mutationFn: (input: { monthlyBudgetCents?: number; allowPiiToModel?: boolean }) => run(ConsoleUpdateAiSettingsDocument, { input }),
    onSuccess: () => {
      setBudget(null);
      void client.invalidateQueries({ queryKey: ['settings'] });
    },
  });
  const s = settings.data?.aiSettings;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (budget !== null) update.mutate({ monthlyBudgetCents: Math.round(Number(budget) * 100) });
  };
  return (
    <section className="card" aria-labelledby="ai-title">
      <h2 id="ai-title">AI provider and budget</h2>
      {settings.isPending ? (
        <Loading />
      ) : settings.error ? (
        <ErrorState error={settings.error} retry={() => void settings.refetch()} />
      ) : s ? (
        <>
          <dl className="fields">
            <dt>Provider</dt>
            <dd>
              {s.provider}
              {s.model ? ` / ${s.model}` : ''}
            </dd>
            <dt>Budget ({s.month.slice(0, 7)})</dt>
            <dd>{cents(s.monthlyBudgetCents)}</dd>
            <dt>Spent · left</dt>
            <dd>
              {cents(s.spentCents)} · {cents(s.remainingCents)}
            </dd>
            <dt>Contact PII to the model</dt>
            <dd>{s.allowPiiToModel ? 'allowed' : 'never sent'}</dd>
          </dl>
          {can('admin:keys') ? (
            <form className="stack" onSubmit={submit}>
              <label>
                Monthly AI budget (USD)
                <input type="number" min="0" step="0.01" value={budget ?? String(s.monthlyBudgetCents / 100)} onChange={(e) => setBudget(e.target.value)} />
              </label>
              <div className="actions">
                <button type="submit" disabled={budget === null || update.isPending}>
                  Save budget
                </button>
                <button type="button" onClick={() => update.mutate({ allowPiiToModel: !s.allowPiiToModel })} disabled={update.isPending}>
                  {s.allowPiiToModel ? 'Stop sending PII to the model' : 'Allow PII to the model'}
                </button>
              </div>
              {update.error ? <ErrorState error={update.error} /> : null}
            </form>
          ) : (
            <p className="hint">Owners and admins change these.</p>
          )}
        </>
      ) : null}
    </section>
  );
}

function KeyringCard() {
  const keys = useQuery({ queryKey: ['tenant-keys'], queryFn: () => run(ConsoleTenantKeysDocument) });
  const k = keys.data?.tenantKeys;
  return (
    <section className="card" aria-labelledby="keys-title">
      <h2 id="keys-title">Data-key rotation</h2>
      {keys.isPending ? (
        <Loading />
      ) : keys.error ? (
        <ErrorState error={keys.error} />
      ) : k ? (
        <>
          <p>
            {k.byok ? 'Your own key material (BYOK)' : `Provider: ${k.provider}`}
            {k.revoked ? ' · revoked: contact PII can no longer be read' : ''} · rotate after {k.rotateAfter.toLocaleString()} encryptions
          </p>
          <p data-testid="rotation-status">
            {k.rotation
              ? `Rotation to v${k.rotation.targetVersion}: ${k.rotation.status} (${k.rotation.reencrypted} re-encrypted, ${k.rotation.remaining} left; started ${when(k.rotation.startedAt)})`
              : 'No rotation has run.'}
          </p>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Status</th>
                  <th scope="col">Encryptions</th>
                  <th scope="col">Contacts sealed</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {k.versions.map((v) => (
                  <tr key={v.version}>
                    <td>v{v.version}</td>
                    <td>{v.status}</td>
                    <td>{v.encryptions.toLocaleString()}</td>
                    <td>{v.sealedContacts.toLocaleString()}</td>
                    <td>{when(v.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </section>
  );
}

export function SettingsPage() {
  const { can, isAdmin } = useSession();
  return (
    <Page title="Settings">
      <AiSettingsCard />
      {isAdmin ? <MembersCard /> : null}
      {can('admin:keys') ? <KeyringCard /> : <p className="hint">Encryption keys are shown to owners and admins.</p>}
    </Page>
  );
}
