import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { run } from '../api';
import {
  ConsoleEraseConsentDocument,
  ConsoleGrantConsentDocument,
  ConsoleSuppressConsentDocument,
  ConsoleWithdrawConsentDocument,
  type ConsentSubjectKind,
} from '../ops';
import { useSession } from '../session';
import { Confirm, ErrorState } from '../ui';

export type Action = 'suppress' | 'withdraw' | 'erase' | 'grant';

const DOCUMENTS = {
  suppress: ConsoleSuppressConsentDocument,
  withdraw: ConsoleWithdrawConsentDocument,
  erase: ConsoleEraseConsentDocument,
  grant: ConsoleGrantConsentDocument,
} as const;

/** What each action does, said before it is done. */
export const EXPLAIN: Record<Action, (kind: ConsentSubjectKind, value: string) => string> = {
  suppress: (kind, value) =>
    `${value} will be hidden from every read — console, API and MCP tools, AI agents included — and counted as “hidden by consent”. You can grant consent again later.`,
  withdraw: (kind, value) =>
    `Record that ${value} withdrew consent: ${kind === 'EMAIL' ? 'the contact' : 'the accounts and deals of this domain'} will be hidden from every read and counted. Consent can be granted again if they agree later.`,
  erase: (kind, value) =>
    kind === 'EMAIL'
      ? `Erase ${value}: the contact's encrypted name, e-mail, phone and search index are deleted for good. This cannot be undone.`
      : `Erase ${value}: its accounts and deals stay hidden for good. This cannot be undone.`,
  grant: (_kind, value) => `${value} becomes visible again in every read.`,
};

const LABEL: Record<Action, string> = { suppress: 'Suppress', withdraw: 'Record withdrawal', erase: 'Erase', grant: 'Grant consent' };

/** Suppress / withdraw / erase (and grant back) for a subject, each behind a confirmation saying what happens. */
export function ConsentActions({ kind, value, status, onDone }: { kind: ConsentSubjectKind; value: string; status: string; onDone?: (action: Action) => void }) {
  const { can, isAdmin } = useSession();
  const client = useQueryClient();
  const [pending, setPending] = useState<Action | null>(null);
  const [reason, setReason] = useState('');
  const mutation = useMutation({
    mutationFn: async (action: Action) => {
      const variables = { subject: { kind, value }, reason: reason.trim() || null };
      if (action === 'suppress') return run(DOCUMENTS.suppress, variables);
      if (action === 'withdraw') return run(DOCUMENTS.withdraw, variables);
      if (action === 'erase') return run(DOCUMENTS.erase, variables);
      return run(DOCUMENTS.grant, variables);
    },
    onSuccess: async (_data, action) => {
      setPending(null);
      setReason('');
      await client.invalidateQueries();
      onDone?.(action);
    },
  });
  if (!can('write:consent')) return <p className="hint">Changing consent needs the write:consent scope (managers, admins and owners).</p>;
  const actions: Action[] = status === 'ERASED' ? [] : status === 'GRANTED' ? ['suppress', 'withdraw', 'erase'] : ['grant', 'erase'];
  return (
    <div className="consent-actions">
      <div className="actions">
        {actions
          .filter((a) => a !== 'erase' || isAdmin)
          .map((a) => (
            <button key={a} type="button" className={a === 'erase' ? 'danger' : undefined} onClick={() => setPending(a)}>
              {LABEL[a]}
            </button>
          ))}
      </div>
      {!isAdmin && status !== 'ERASED' ? <p className="hint">Erasure is for owners and admins.</p> : null}
      {mutation.error && !pending ? <ErrorState error={mutation.error} /> : null}
      {pending ? (
        <Confirm
          title={`${LABEL[pending]}: ${value}?`}
          confirmLabel={LABEL[pending]}
          danger={pending === 'erase'}
          busy={mutation.isPending}
          onCancel={() => {
            setPending(null);
            mutation.reset();
          }}
          onConfirm={() => mutation.mutate(pending)}
        >
          <p>{EXPLAIN[pending](kind, value)}</p>
          <label>
            Reason (kept in the consent history)
            <input value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
          </label>
          {mutation.error ? <ErrorState error={mutation.error} /> : null}
        </Confirm>
      ) : null}
    </div>
  );
}
