// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RunResult } from '../src/pages/agents';
import { EXPLAIN } from '../src/pages/consent-actions';
import { SecretOnce } from '../src/pages/keys';
import { explainAuditorChange } from '../src/pages/members';
import { explainMcpAction, toolStatus } from '../src/pages/mcp-servers';
import { ApiError } from '../src/api';
import { BarChart, Confirm, ConsentNote, ErrorState } from '../src/ui';

afterEach(cleanup);

describe('the consent note', () => {
  it('says how many records consent hid, with the API note', () => {
    render(<ConsentNote filtered={7} note="7 record(s) hidden by consent (suppressed, withdrawn or erased)." />);
    expect(screen.getByTestId('consent-note').textContent).toBe('7 hidden by consent. 7 record(s) hidden by consent (suppressed, withdrawn or erased).');
  });

  it('is shown when nothing was hidden too', () => {
    render(<ConsentNote filtered={0} note="" />);
    expect(screen.getByTestId('consent-note').textContent).toMatch(/^0 hidden by consent\./);
  });
});

describe('confirmations say what happens', () => {
  it('opens as a modal dialog naming the action; Cancel and Confirm call back, and a busy dialog cannot confirm twice', () => {
    const onConfirm = vi.fn();
    const onCancel = vi.fn();
    const { rerender } = render(
      <Confirm title="Erase ada@example.com?" confirmLabel="Erase" danger onConfirm={onConfirm} onCancel={onCancel}>
        <p>{EXPLAIN.erase('EMAIL', 'ada@example.com')}</p>
      </Confirm>,
    );
    const dialog = screen.getByRole('dialog', { name: 'Erase ada@example.com?' });
    expect((dialog as HTMLDialogElement).open).toBe(true);
    expect(dialog.textContent).toContain("the contact's encrypted name, e-mail, phone and search index are deleted for good. This cannot be undone.");
    // Cancel is the safe default focus.
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Erase' }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(onConfirm).toHaveBeenCalledTimes(1);
    expect(onCancel).toHaveBeenCalledTimes(1);
    rerender(
      <Confirm title="Erase ada@example.com?" confirmLabel="Erase" danger busy onConfirm={onConfirm} onCancel={onCancel}>
        <p>…</p>
      </Confirm>,
    );
    const busy = screen.getByRole('button', { name: 'Working…' });
    expect((busy as HTMLButtonElement).disabled).toBe(true);
  });

  it('explains each consent action for e-mails and domains, and that only erasure is final', () => {
    expect(EXPLAIN.suppress('EMAIL', 'ada@example.com')).toBe(
      'ada@example.com will be hidden from every read — console, API and MCP tools, AI agents included — and counted as “hidden by consent”. You can grant consent again later.',
    );
    expect(EXPLAIN.withdraw('DOMAIN', 'acme.example')).toContain('the accounts and deals of this domain will be hidden from every read and counted');
    expect(EXPLAIN.withdraw('EMAIL', 'ada@example.com')).toContain('the contact will be hidden');
    expect(EXPLAIN.erase('DOMAIN', 'acme.example')).toBe('Erase acme.example: its accounts and deals stay hidden for good. This cannot be undone.');
    expect(EXPLAIN.grant('EMAIL', 'ada@example.com')).toBe('ada@example.com becomes visible again in every read.');
    for (const action of ['suppress', 'withdraw', 'grant'] as const) expect(EXPLAIN[action]('EMAIL', 'x@y.example')).not.toContain('cannot be undone');
  });

  it('explains making a member an auditor and taking it back', () => {
    const member = { userId: 'u', email: 'member@pact.demo', displayName: 'Member', role: 'member', extraScopes: [], scopes: [] };
    expect(explainAuditorChange({ member, give: true })).toMatch(/^member@pact\.demo becomes a read-only auditor: .*search the audit log, verify its chain and export it as CSV\. Their role \(member\)/);
    expect(explainAuditorChange({ member, give: false })).toBe('member@pact.demo can no longer read the audit log from their next call. Their role (member) stays as it is.');
  });
});

describe('an agent run', () => {
  it('shows the blocked shape plainly: blocked by consent, the reason, nothing run or charged, no answer', () => {
    render(<RunResult result={{ blocked: true, reason: 'consent_withdrawn', agent: 'contact-summary', runId: 'r1', target: { kind: 'contact', id: 'c1' } }} />);
    expect(screen.getByTestId('agent-blocked').textContent).toBe('Blocked by consent. consent_withdrawn The agent did not run on this record and nothing was charged.');
    expect(screen.queryByTestId('agent-answer')).toBeNull();
  });

  it('shows an answer with its cost and its citations linking to the records', () => {
    render(
      <RunResult
        result={{
          blocked: false,
          agent: 'deal-risk',
          runId: 'r2',
          answer: 'Two deals slipped.',
          note: '1 record(s) hidden by consent.',
          consentFiltered: 1,
          provider: 'offline',
          model: null,
          modelCostCents: 0,
          target: null,
          citations: [
            { kind: 'deal', id: 'd-123456789', label: 'Atlas renewal' },
            { kind: 'contact', id: 'c-987654321', label: 'Ada' },
          ],
        }}
      />,
    );
    expect(screen.getByTestId('agent-answer').textContent).toContain('Two deals slipped.');
    expect(screen.getByText(/offline · 0\.00¢/).textContent).toBe('1 record(s) hidden by consent. · offline · 0.00¢');
    const links = within(screen.getByRole('list', { name: 'Citations' })).getAllByRole('link');
    expect(links.map((a) => [a.textContent, a.getAttribute('href')])).toEqual([
      ['deal: Atlas renewal', '/ui/deals/d-123456789'],
      ['contact: Ada', '/ui/contacts/c-987654321'],
    ]);
  });
});

describe('a minted key', () => {
  it('shows the secret once with a copy button that copies it', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(<SecretOnce secret="pact_live_abc123" />);
    expect(screen.getByRole('status').textContent).toContain('Copy this secret now: it is shown once.');
    expect(screen.getByTestId('minted-secret').textContent).toBe('pact_live_abc123');
    fireEvent.click(screen.getByRole('button', { name: 'Copy' }));
    await screen.findByRole('button', { name: 'Copied' });
    expect(writeText).toHaveBeenCalledWith('pact_live_abc123');
  });
});

describe('states and charts', () => {
  it('reads FORBIDDEN as a refusal without a retry button, other errors as faults with one', () => {
    const retry = vi.fn();
    render(<ErrorState error={new ApiError('Missing required scope \'read:audit\'.', 'FORBIDDEN', { requestId: 'req-1' })} retry={retry} />);
    const refusal = screen.getByRole('alert');
    expect(refusal.textContent).toBe("Not allowedMissing required scope 'read:audit'.Code: FORBIDDEN · request req-1");
    expect(within(refusal).queryByRole('button')).toBeNull();
    cleanup();
    render(<ErrorState error={new ApiError('Pact cannot be reached.', 'NETWORK')} retry={retry} />);
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(retry).toHaveBeenCalledTimes(1);
  });

  it('draws one bar per series and label, with every number in a table for screen readers', () => {
    render(<BarChart title="Won and lost" series={['Won', 'Lost']} bars={[{ label: '2026-10', values: [1200, 300] }, { label: '2026-11', values: [0, 50] }]} format={(n) => `$${n}`} />);
    expect(screen.getByRole('img', { name: 'Won and lost' }).querySelectorAll('rect')).toHaveLength(4);
    const rows = screen.getAllByRole('row').map((r) => [...r.querySelectorAll('th, td')].map((c) => c.textContent));
    expect(rows).toEqual([
      ['Label', 'Won', 'Lost'],
      ['2026-10', '$1200', '$300'],
      ['2026-11', '$0', '$50'],
    ]);
  });
});

describe('connected MCP servers', () => {
  const tool = { callable: false, enabled: true, changed: false, disabledReason: null as string | null };
  it('names a tool’s state: callable, changed and awaiting approval, disabled and why', () => {
    expect(toolStatus({ ...tool, callable: true })).toEqual({ label: 'Callable', tone: 'ok' });
    expect(toolStatus({ ...tool, changed: true, disabledReason: 'definition_changed' })).toEqual({ label: 'Changed — needs approval', tone: 'warn' });
    expect(toolStatus({ ...tool, enabled: false, disabledReason: 'disabled_in_config' }).label).toBe('Disabled (disabled by an admin)');
    expect(toolStatus({ ...tool, enabled: false, disabledReason: 'no_entry' }).label).toBe('Disabled (not in the governance file)');
    expect(toolStatus({ ...tool, enabled: false, disabledReason: 'removed_upstream' }).label).toBe('Disabled (the server no longer lists it)');
  });

  it('says what approving, switching and rediscovering do before they are done', () => {
    const server = { id: 's', name: 'Orders', endpointUrl: 'https://orders.example/mcp' } as Parameters<typeof explainMcpAction>[0]['server'];
    const t = { federatedName: 'orders__ping', allowedRoles: ['owner', 'member'] } as Extract<Parameters<typeof explainMcpAction>[0], { tool: unknown }>['tool'];
    expect(explainMcpAction({ kind: 'approve', server, tool: t })).toMatch(/^orders__ping becomes callable again with its new definition .* Its governance .* stays as it is\.$/);
    expect(explainMcpAction({ kind: 'enable', server, tool: t })).toBe('orders__ping becomes callable by the roles allowed to call it (owner, member), through /graphql and MCP.');
    expect(explainMcpAction({ kind: 'disable', server, tool: t })).toContain('is refused to every caller from their next call, on every instance');
    expect(explainMcpAction({ kind: 'discover', server })).toContain('If the server cannot be reached, nothing changes.');
  });
});
