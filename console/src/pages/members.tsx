import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { run } from '../api';
import { ConsoleGrantMemberScopeDocument, ConsoleMembersDocument, ConsoleRevokeMemberScopeDocument, type ConsoleMemberFieldsFragment } from '../ops';
import { Confirm, Empty, ErrorState, Loading } from '../ui';

const AUDIT = 'read:audit';

interface Change {
  member: ConsoleMemberFieldsFragment;
  give: boolean;
}

/** What giving or taking back read:audit does, said before it is done. */
export const explainAuditorChange = ({ member, give }: Change): string =>
  give
    ? `${member.email} becomes a read-only auditor: from their next call they may search the audit log, verify its chain and export it as CSV. Their role (${member.role}) and its other rights stay as they are.`
    : `${member.email} can no longer read the audit log from their next call. Their role (${member.role}) stays as it is.`;

/** Owners and admins: who holds which role, and read:audit given to members and managers (a read-only auditor). */
export function MembersCard() {
  const client = useQueryClient();
  const members = useQuery({ queryKey: ['members'], queryFn: () => run(ConsoleMembersDocument) });
  const [change, setChange] = useState<Change | null>(null);
  const mutation = useMutation({
    mutationFn: async ({ member, give }: Change): Promise<void> => {
      const variables = { userId: member.userId, scope: AUDIT };
      if (give) await run(ConsoleGrantMemberScopeDocument, variables);
      else await run(ConsoleRevokeMemberScopeDocument, variables);
    },
    onSuccess: () => {
      setChange(null);
      void client.invalidateQueries({ queryKey: ['members'] });
    },
  });
  const items = members.data?.members;
  return (
    <section className="card" aria-labelledby="members-title">
      <h2 id="members-title">Members and auditors</h2>
      {members.isPending ? (
        <Loading what="Loading members" />
      ) : members.error ? (
        <ErrorState error={members.error} retry={() => void members.refetch()} />
      ) : !items || items.length === 0 ? (
        <Empty>No members.</Empty>
      ) : (
        <div className="table-wrap">
          <table data-testid="members">
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Role</th>
                <th scope="col">Given scopes</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((m) => {
                const admin = m.role === 'owner' || m.role === 'admin';
                const auditor = m.extraScopes.includes(AUDIT);
                return (
                  <tr key={m.userId} data-testid={`member-${m.email}`}>
                    <td>
                      {m.displayName}
                      <br />
                      <span className="hint">{m.email}</span>
                    </td>
                    <td>{m.role}</td>
                    <td>{m.extraScopes.length > 0 ? m.extraScopes.join(', ') : '—'}</td>
                    <td>
                      {admin ? (
                        <span className="hint">reads the audit log by role</span>
                      ) : (
                        <button type="button" className={auditor ? 'danger' : undefined} onClick={() => setChange({ member: m, give: !auditor })}>
                          {auditor ? 'Take back read:audit' : 'Make auditor (read:audit)'}
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {change ? (
        <Confirm
          title={change.give ? `Make ${change.member.email} an auditor?` : `Take read:audit back from ${change.member.email}?`}
          confirmLabel={change.give ? 'Give read:audit' : 'Take back read:audit'}
          danger={!change.give}
          busy={mutation.isPending}
          onCancel={() => {
            setChange(null);
            mutation.reset();
          }}
          onConfirm={() => mutation.mutate(change)}
        >
          <p>{explainAuditorChange(change)}</p>
          {mutation.error ? <ErrorState error={mutation.error} /> : null}
        </Confirm>
      ) : null}
    </section>
  );
}
