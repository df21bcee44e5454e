import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { run } from '../api';
import { ConsoleAuditLogDocument, ConsoleAuditVerificationDocument, type AuditFilter, type AuditOutcome, type AuditPath, type ConsoleAuditLogQuery } from '../ops';
import { setParams, useLocation } from '../router';
import { useSession } from '../session';
import { Empty, ErrorState, Loading, Page, cents, when } from '../ui';
import { Pager } from './list-controls';

type Entry = ConsoleAuditLogQuery['auditLog']['items'][number];

const COLUMNS: (keyof Entry)[] = ['seq', 'at', 'path', 'operation', 'userEmail', 'apiKeyId', 'client', 'outcome', 'errorCode', 'latencyMs', 'resultCount', 'consentHidden', 'costCents', 'sealed'];

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  // Quote every cell; a leading = + - @ is prefixed so a spreadsheet never runs it as a formula.
  return `"${(/^[=+\-@\t\r]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"`;
};

const MAX_EXPORT_ROWS = 5000;

function Verification() {
  const verify = useMutation({ mutationFn: () => run(ConsoleAuditVerificationDocument) });
  const v = verify.data?.auditVerification;
  return (
    <section className="card" aria-labelledby="verify-title">
      <h2 id="verify-title">Chain verification</h2>
      <button type="button" onClick={() => verify.mutate()} disabled={verify.isPending}>
        {verify.isPending ? 'Verifying…' : 'Verify the audit log'}
      </button>
      {verify.error ? <ErrorState error={verify.error} /> : null}
      {v ? (
        <div className={`state ${v.ok ? 'ok' : 'error'}`} role="status" data-testid="verification">
          <strong>{v.ok ? 'Intact: every seal and sealed row checks out.' : 'Broken: the log does not match its seals.'}</strong>
          <p>
            {v.seals} seals · {v.sealedRows} sealed rows · {v.unsealedRows} rows waiting for a seal
            {v.lastSeal ? ` · last seal #${v.lastSeal.seq} at ${when(v.lastSeal.sealedAt)} (${v.lastSeal.hash.slice(0, 16)}…)` : ''}
          </p>
          {v.firstBroken ? <p>First break: {v.firstBroken.reason}</p> : null}
        </div>
      ) : null}
    </section>
  );
}

export function AuditPage() {
  const { viewer, isAdmin, can } = useSession();
  const { params } = useLocation();
  const after = params.get('after');
  const filter: AuditFilter = {
    path: (params.get('path') as AuditPath | null) || null,
    operation: params.get('operation') || null,
    outcome: (params.get('outcome') as AuditOutcome | null) || null,
    userEmail: params.get('user') || null,
    from: params.get('from') ? `${params.get('from')}T00:00:00Z` : null,
    to: params.get('to') ? new Date(new Date(`${params.get('to')}T00:00:00Z`).getTime() + 86_400_000).toISOString() : null,
  };
  const userEmail = params.get('user') ?? '';
  const log = useQuery({
    queryKey: ['audit', filter, after],
    queryFn: () => run(ConsoleAuditLogDocument, { filter, first: 50, after }),
    placeholderData: keepPreviousData,
  });
  const [exporting, setExporting] = useState<string | null>(null);
  const items = log.data?.auditLog.items ?? [];

  /** Pages through the filtered log with the same persisted query and saves it as CSV (at most 5,000 rows). */
  const exportCsv = async () => {
    setExporting('Exporting…');
    try {
      const rows: Entry[] = [];
      let cursor: string | null = null;
      do {
        const page: ConsoleAuditLogQuery = await run(ConsoleAuditLogDocument, { filter, first: 100, after: cursor });
        rows.push(...page.auditLog.items);
        cursor = page.auditLog.nextCursor ?? null;
      } while (cursor && rows.length < MAX_EXPORT_ROWS);
      const csv = [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => csvCell(r[c])).join(','))].join('\r\n');
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `pact-audit-${new Date().toISOString().slice(0, 10)}.csv`;
      a.click();
      URL.revokeObjectURL(url);
      setExporting(`Exported ${rows.length} rows.`);
    } catch (e) {
      setExporting(e instanceof Error ? e.message : 'Export failed.');
    }
  };

  return (
    <Page title="Audit log" actions={<button type="button" onClick={() => void exportCsv()}>Export CSV</button>}>
      {exporting ? (
        <p className="hint" role="status">
          {exporting}
        </p>
      ) : null}
      {!isAdmin && can('read:audit') ? (
        <p className="consent-note" data-testid="auditor-view">
          <strong>Read-only auditor view.</strong> You hold read:audit as a {viewer.role}: search, verify and export the log; nothing here changes it.
        </p>
      ) : null}
      <Verification />
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Audit filters">
        <label>
          Path
          <select value={params.get('path') ?? ''} onChange={(e) => setParams({ path: e.target.value, after: null, back: null })}>
            <option value="">Any</option>
            <option value="GRAPHQL">GraphQL</option>
            <option value="MCP">MCP</option>
            <option value="UI">Console</option>
          </select>
        </label>
        <label>
          Tool or operation
          <input defaultValue={params.get('operation') ?? ''} onBlur={(e) => setParams({ operation: e.target.value.trim(), after: null, back: null })} placeholder="e.g. query_contacts" />
        </label>
        <label>
          Outcome
          <select value={params.get('outcome') ?? ''} onChange={(e) => setParams({ outcome: e.target.value, after: null, back: null })}>
            <option value="">Any</option>
            {['OK', 'DENIED', 'BLOCKED', 'RATE_LIMITED', 'ERROR'].map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <label>
          User e-mail
          <input defaultValue={userEmail} onBlur={(e) => setParams({ user: e.target.value.trim(), after: null, back: null })} placeholder="name@example.com" />
        </label>
        <label>
          From
          <input type="date" value={params.get('from') ?? ''} onChange={(e) => setParams({ from: e.target.value, after: null, back: null })} />
        </label>
        <label>
          To
          <input type="date" value={params.get('to') ?? ''} onChange={(e) => setParams({ to: e.target.value, after: null, back: null })} />
        </label>
      </form>
      {log.isPending ? (
        <Loading what="Loading the audit log" />
      ) : log.error ? (
        <ErrorState error={log.error} retry={() => void log.refetch()} />
      ) : items.length === 0 ? (
        <Empty>No audit row matches these filters.</Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table data-testid="audit-table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Path</th>
                  <th scope="col">Operation</th>
                  <th scope="col">Who</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Rows</th>
                  <th scope="col">Hidden</th>
                  <th scope="col">Cost</th>
                  <th scope="col">Sealed</th>
                </tr>
              </thead>
              <tbody>
                {items.map((e) => (
                  <tr key={e.id}>
                    <td>{when(e.at)}</td>
                    <td>{e.path}</td>
                    <td>{e.operation}</td>
                    <td>{e.userEmail ?? e.client ?? e.apiKeyId ?? '—'}</td>
                    <td>
                      {e.outcome}
                      {e.errorCode ? ` (${e.errorCode})` : ''}
                    </td>
                    <td>{e.resultCount}</td>
                    <td>{e.consentHidden}</td>
                    <td>{cents(e.costCents)}</td>
                    <td>{e.sealed ? 'yes' : 'not yet'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager returned={log.data?.auditLog.returned ?? 0} nextCursor={log.data?.auditLog.nextCursor} busy={log.isFetching} />
        </>
      )}
    </Page>
  );
}
