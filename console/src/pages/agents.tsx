import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { run } from '../api';
import { ConsoleAgentRunsDocument, ConsoleAgentsDocument, ConsoleAskWorkspaceDocument, ConsoleBriefingDocument, ConsoleFireAgentDocument, type ConsoleFireAgentQuery } from '../ops';
import { Link } from '../router';
import { Empty, ErrorState, Loading, Page, cents, when } from '../ui';

const recordLink = (kind: string, id: string) => (kind === 'contact' ? `/contacts/${id}` : kind === 'deal' ? `/deals/${id}` : `/accounts?q=${encodeURIComponent(id)}`);

export function Citations({ citations }: { citations: readonly { kind: string; id: string; label?: string }[] }) {
  if (citations.length === 0) return null;
  return (
    <ul className="citations" aria-label="Citations">
      {citations.map((c) => (
        <li key={`${c.kind}:${c.id}`}>
          <Link to={recordLink(c.kind, c.id)}>
            {c.kind}: {c.label ?? c.id.slice(0, 8)}
          </Link>
        </li>
      ))}
    </ul>
  );
}

export function RunResult({ result }: { result: ConsoleFireAgentQuery['fireAgent'] }) {
  if ('reason' in result || result.blocked) {
    return (
      <div className="state blocked" role="status" data-testid="agent-blocked">
        <strong>Blocked by consent.</strong> {'reason' in result ? result.reason : ''} The agent did not run on this record and nothing was charged.
      </div>
    );
  }
  return (
    <div className="run" data-testid="agent-answer">
      <p className="answer">{result.answer}</p>
      <p className="hint">
        {result.note} · {result.provider}
        {result.model ? `/${result.model}` : ''} · {cents(result.modelCostCents)}
      </p>
      <Citations citations={result.citations} />
    </div>
  );
}

/** Fire a record agent on a deal, account or contact from its page. */
export function FireOnRecord({ targetId, kind }: { targetId: string; kind: 'deal' | 'account' | 'contact' }) {
  const agents = useQuery({ queryKey: ['agents'], queryFn: () => run(ConsoleAgentsDocument) });
  const client = useQueryClient();
  const fire = useMutation({
    mutationFn: (agent: string) => run(ConsoleFireAgentDocument, { agent, targetId }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['agent-runs'] }),
  });
  const fitting = agents.data?.agents.items.filter((a) => a.target === kind) ?? [];
  if (agents.error || fitting.length === 0) return null;
  return (
    <section className="card" aria-labelledby="fire-title">
      <h2 id="fire-title">Agents on this {kind}</h2>
      <div className="actions">
        {fitting.map((a) => (
          <button key={a.id} type="button" disabled={fire.isPending} onClick={() => fire.mutate(a.id)} title={a.purpose}>
            Run {a.id}
          </button>
        ))}
      </div>
      {fire.isPending ? <Loading what="The agent is working" /> : fire.error ? <ErrorState error={fire.error} /> : fire.data ? <RunResult result={fire.data.fireAgent} /> : null}
    </section>
  );
}

function Ask() {
  const [question, setQuestion] = useState('');
  const client = useQueryClient();
  const ask = useMutation({
    mutationFn: (q: string) => run(ConsoleAskWorkspaceDocument, { question: q }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['agent-runs'] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (question.trim()) ask.mutate(question.trim());
  };
  const a = ask.data?.askWorkspace;
  return (
    <section className="card" aria-labelledby="ask-title">
      <h2 id="ask-title">Ask the workspace</h2>
      <form className="search" onSubmit={submit}>
        <input aria-label="Question" placeholder="Which software accounts have open deals?" value={question} onChange={(e) => setQuestion(e.target.value)} maxLength={500} />
        <button type="submit" disabled={ask.isPending}>
          Ask
        </button>
      </form>
      {ask.isPending ? (
        <Loading what="Searching consented records" />
      ) : ask.error ? (
        <ErrorState error={ask.error} />
      ) : a ? (
        <div className="run" data-testid="ask-answer">
          <p className="answer">{a.answer}</p>
          <p className="hint">
            {a.matched} matched · {a.consentFiltered} hidden by consent · {a.note} · {cents(a.modelCostCents)}
          </p>
          <Citations citations={a.citations} />
        </div>
      ) : null}
    </section>
  );
}

function BriefingCard() {
  const [open, setOpen] = useState(false);
  const briefing = useQuery({ queryKey: ['briefing'], enabled: open, queryFn: () => run(ConsoleBriefingDocument), staleTime: 5 * 60_000 });
  const b = briefing.data?.briefing;
  return (
    <section className="card" aria-labelledby="briefing-title">
      <h2 id="briefing-title">Your briefing</h2>
      {!open ? (
        <button type="button" onClick={() => setOpen(true)}>
          Read today’s briefing
        </button>
      ) : briefing.isPending ? (
        <Loading what="Writing your briefing" />
      ) : briefing.error ? (
        <ErrorState error={briefing.error} retry={() => void briefing.refetch()} />
      ) : b ? (
        <div className="run" data-testid="briefing">
          <p className="hint">
            {b.asOf} · {b.scope}
            {b.ownerName ? ` · ${b.ownerName}` : ''} · {b.consentFiltered} hidden by consent
          </p>
          <p className="answer">{b.narrative}</p>
          <Citations citations={b.citations} />
        </div>
      ) : null}
    </section>
  );
}

function Runs() {
  const runs = useQuery({ queryKey: ['agent-runs'], queryFn: () => run(ConsoleAgentRunsDocument, { first: 25 }) });
  const items = runs.data?.agentRuns.items;
  return (
    <section className="card" aria-labelledby="runs-title">
      <h2 id="runs-title">Runs</h2>
      {runs.isPending ? (
        <Loading what="Loading runs" />
      ) : runs.error ? (
        <ErrorState error={runs.error} retry={() => void runs.refetch()} />
      ) : !items || items.length === 0 ? (
        <Empty>No agent has run yet.</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Agent</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col">Cost</th>
                <th scope="col">Citations</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id}>
                  <td>{when(r.createdAt)}</td>
                  <td>{r.agent}</td>
                  <td>{r.targetKind && r.targetId ? <Link to={recordLink(r.targetKind, r.targetId)}>{r.targetKind}</Link> : '—'}</td>
                  <td className={r.outcome === 'blocked' ? 'blocked' : undefined}>
                    {r.outcome}
                    {r.reason ? ` (${r.reason})` : ''}
                  </td>
                  <td>{cents(r.costCents)}</td>
                  <td>
                    <Citations citations={r.citations} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function AgentsPage() {
  const agents = useQuery({ queryKey: ['agents'], queryFn: () => run(ConsoleAgentsDocument) });
  const roster = agents.data?.agents;
  return (
    <Page title="Agents">
      {agents.isPending ? (
        <Loading what="Loading the roster" />
      ) : agents.error ? (
        <ErrorState error={agents.error} retry={() => void agents.refetch()} />
      ) : !roster || roster.items.length === 0 ? (
        <Empty>No agents.</Empty>
      ) : (
        <section className="card" aria-labelledby="roster-title">
          <h2 id="roster-title">Roster</h2>
          <p className="hint">
            Running on {roster.provider}
            {roster.model ? `/${roster.model}` : ''}. Fire a record agent from a deal or contact page.
          </p>
          <ul className="roster">
            {roster.items.map((a) => (
              <li key={a.id}>
                <strong>{a.id}</strong> — {a.purpose}
                <span className="hint">
                  {' '}
                  {a.target ? `on a ${a.target}` : 'workspace-wide'} · {a.readsPii ? 'reads PII' : 'no PII'} · needs {a.requiredScopes.join(', ')}
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <Ask />
      <BriefingCard />
      <Runs />
    </Page>
  );
}
