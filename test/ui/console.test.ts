import { sql } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPactServer, InMemoryConsentStore, z } from '@pact/mcp-server';
import { DiscoverMcpServerDocument, GovernMcpToolsDocument, QueryContactsDocument, RegisterMcpServerDocument } from '../../src/generated/graphql/graphql';
import { startPactUpstream, type Upstream } from '../federation/upstreams';
import { persistedText, startTestPact, type TestPact } from '../helpers/pact';
import { launch, openConsole, shot, signIn, type ConsoleTab } from './browser';

let pact: TestPact;
let upstream: Upstream;
let browser: Browser;
let admin: ConsoleTab;
const tabs: ConsoleTab[] = [];

const open = async (width = 1280) => {
  const tab = await openConsole(browser, pact.url, width);
  tabs.push(tab);
  return tab;
};

/** The number in the consent note ("N hidden by consent."). */
const hiddenInNote = async (tab: ConsoleTab): Promise<number> => {
  const text = (await tab.page.getByTestId('consent-note').textContent()) ?? '';
  return Number(/(\d+) hidden by consent/.exec(text)?.[1] ?? NaN);
};

const heading = (tab: ConsoleTab, name: string) => tab.page.getByRole('heading', { level: 1, name });

/** A tool author's server on loopback, published into tenant "demo" for the MCP servers page. */
const orders = createPactServer('orders', { consentStore: new InMemoryConsentStore({}) })
  .tool('lookup_orders', { title: 'Look up orders', description: 'Orders of a customer.', costCents: 0.5, rateLimitPerMin: 30, consentSubject: 'email', schema: z.object({ email: z.string().email() }) }, ({ email }) => ({ email, orders: 2 }))
  .tool('ping', { description: 'Answers pong.', costCents: 0, schema: z.object({}) }, () => ({ pong: true }));

beforeAll(async () => {
  pact = await startTestPact({ upstreams: { allowPrivate: true, timeoutMs: 5000 } });
  upstream = await startPactUpstream(orders, { require: { header: 'authorization', value: 'Bearer orders-secret' } });
  const owner = await pact.signIn('owner@pact.demo');
  const call = async (doc: unknown, variables: Record<string, unknown>) => (await pact.gql<Record<string, { id: string }>>(persistedText(doc), variables, { token: owner, tenant: 'demo' })).body.data;
  const registered = await call(RegisterMcpServerDocument, {
    input: { name: 'Orders', slug: 'orders', endpointUrl: upstream.url, transport: 'STREAMABLE_HTTP', authKind: 'BEARER', authSecret: 'orders-secret' },
  });
  const serverId = registered?.registerMcpServer?.id;
  await call(DiscoverMcpServerDocument, { id: serverId });
  await call(GovernMcpToolsDocument, { serverId, tools: [{ tool: 'lookup_orders', enabled: true, allowedRoles: ['owner', 'admin', 'member'] }, { tool: 'ping', enabled: true, allowedRoles: ['owner'] }] });
  browser = await launch();
  admin = await open();
  await signIn(admin, 'admin@pact.demo');
});

afterAll(async () => {
  // No request of any tab carried GraphQL text: hashes and variables only.
  for (const tab of tabs) {
    for (const body of tab.graphql) {
      expect(body.query).toBeUndefined();
      expect(String(body.documentId)).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
    expect(tab.problems).toEqual([]);
    await tab.context.close();
  }
  await browser?.close();
  await upstream?.close();
  await pact?.close();
});

describe('the console in Chromium', () => {
  it('signs in and opens the pipeline: board, charts and the consent note', async () => {
    await heading(admin, 'Pipeline').waitFor();
    await admin.page.getByRole('list', { name: 'Deals by stage' }).waitFor();
    // Won and lost by close month, from every closed deal (the server's dealOutcomes), beside the stage chart.
    await admin.page.getByText(/^Won and lost by close month/).waitFor();
    const months = await pact.sql<{ won: number; lost: number }>(
      sql`select (count(*) filter (where stage = 'closed_won'))::int as won, (count(*) filter (where stage = 'closed_lost'))::int as lost
          from deals where tenant_id = ${pact.seed.demoTenantId} and stage in ('closed_won', 'closed_lost') and not consent_hidden and close_date is not null
          group by to_char(close_date, 'YYYY-MM') order by to_char(close_date, 'YYYY-MM') desc limit 12`,
    );
    const sum = (k: 'won' | 'lost') => months.reduce((n, m) => n + m[k], 0);
    await admin.page.getByText(`${months.length} with a closed deal; ${sum('won')} won, ${sum('lost')} lost`, { exact: false }).waitFor();
    expect(await admin.page.locator('figure.chart').count()).toBe(2);
    expect(await hiddenInNote(admin)).toBeGreaterThan(0);
    await shot(admin.page, 'pipeline-1280');
    await admin.page.locator('.deal-card a').first().click();
    await admin.page.getByRole('link', { name: 'Back to pipeline' }).waitFor();
    await admin.page.getByRole('heading', { name: 'Activities' }).waitFor();
    await admin.page.locator('[data-testid=deal-activities], .state.empty').first().waitFor();
    // Fire the deal agent on this record: its answer cites records, linked.
    await admin.page.getByRole('button', { name: /^Run / }).first().click();
    await admin.page.getByTestId('agent-answer').waitFor();
    await shot(admin.page, 'deal-1280');
  });

  it('searches and pages contacts with the consent note always shown, then suppresses one and sees the count move', async () => {
    await admin.page.getByRole('link', { name: 'Contacts', exact: true }).click();
    await heading(admin, 'Contacts').waitFor();
    await admin.page.locator('tbody tr').first().waitFor();
    const before = await hiddenInNote(admin);
    await admin.page.getByRole('button', { name: 'Next' }).click();
    await admin.page.getByText('Page 2').waitFor();
    expect(await hiddenInNote(admin)).toBe(before);
    await admin.page.getByRole('button', { name: 'Previous' }).click();
    await admin.page.getByText('Page 1').waitFor();
    await shot(admin.page, 'contacts-1280');

    // Contact detail: PII decrypted, consent status, suppress behind a confirmation that says what happens.
    await admin.page.locator('tbody tr td a').first().click();
    const email = (await admin.page.locator('dd').nth(1).textContent()) ?? '';
    expect(email).toMatch(/@/);
    expect(await admin.page.getByTestId('consent-status').textContent()).toBe('GRANTED');
    await shot(admin.page, 'contact-1280');
    await admin.page.getByRole('button', { name: 'Suppress' }).click();
    const dialog = admin.page.getByRole('dialog');
    await expect(dialog.textContent()).resolves.toContain('hidden from every read');
    await dialog.getByLabel(/Reason/).fill('asked by phone');
    await dialog.getByRole('button', { name: 'Suppress' }).click();
    await heading(admin, 'Contacts').waitFor();
    await admin.page.waitForFunction((n) => /(\d+) hidden by consent/.exec(document.querySelector('[data-testid=consent-note]')?.textContent ?? '')?.[1] === String(n), before + 1);
    expect(await hiddenInNote(admin)).toBe(before + 1);

    // Searching a name narrows the list; the note stays.
    await admin.page.getByRole('searchbox').fill('zzzz-nobody');
    await admin.page.getByRole('button', { name: 'Search' }).click();
    await admin.page.getByText('No contact matches').waitFor();
    expect(await hiddenInNote(admin)).toBeGreaterThanOrEqual(0);
  });

  it('erases a contact after a confirmation that says it cannot be undone', async () => {
    await admin.page.goto('/ui/contacts');
    await admin.page.locator('tbody tr td a').first().click();
    await admin.page.getByTestId('consent-status').waitFor();
    const id = admin.page.url().split('/').pop() ?? '';
    await admin.page.getByRole('button', { name: 'Erase' }).click();
    const dialog = admin.page.getByRole('dialog');
    await expect(dialog.textContent()).resolves.toContain('cannot be undone');
    await shot(admin.page, 'erase-confirm-1280');
    await dialog.getByRole('button', { name: 'Erase' }).click();
    await heading(admin, 'Contacts').waitFor();
    const [row] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from contacts where id = ${id}`);
    expect(row?.n).toBe(0);
    await admin.page.goto(`/ui/contacts/${id}`);
    await admin.page.getByText('does not exist, or consent hides it').waitFor();
  });

  it('shows the consent records and counts', async () => {
    await admin.page.goto('/ui/consent');
    await admin.page.getByTestId('consent-counts').waitFor();
    expect(Number(await admin.page.getByTestId('hidden-contacts').textContent())).toBeGreaterThan(0);
    await shot(admin.page, 'consent-1280');
  });

  it('mints a key (secret shown once) and revokes it', async () => {
    await admin.page.goto('/ui/keys');
    await heading(admin, 'API keys').waitFor();
    await admin.page.getByLabel('Name').fill('browser-test key');
    await admin.page.getByLabel('read:contacts').check();
    await admin.page.getByRole('button', { name: 'Mint key' }).click();
    const secret = (await admin.page.getByTestId('minted-secret').textContent()) ?? '';
    expect(secret).toMatch(/^pact_live_/);
    // Minted "persisted operations only" (the default): it runs a manifest operation.
    const works = await pact.gql<{ contacts: { returned: number } }>(persistedText(QueryContactsDocument), { first: 2 }, { token: secret });
    expect(works.body.data?.contacts.returned).toBe(2);
    await shot(admin.page, 'keys-1280');
    await admin.page.getByTestId('key-browser-test key').getByRole('button', { name: 'Revoke' }).click();
    await admin.page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await admin.page.getByTestId('key-browser-test key').waitFor({ state: 'detached' });
    const refused = await pact.gql(persistedText(QueryContactsDocument), { first: 2 }, { token: secret });
    expect(refused.status).toBe(401);
  });

  it('verifies the audit chain and lists the console calls, filtered by path', async () => {
    await admin.page.goto('/ui/audit?path=UI');
    await admin.page.getByTestId('audit-table').waitFor();
    const paths = await admin.page.locator('[data-testid=audit-table] tbody tr td:nth-child(2)').allTextContents();
    expect(paths.length).toBeGreaterThan(0);
    expect(new Set(paths)).toEqual(new Set(['UI']));
    expect(await admin.page.getByTestId('audit-table').textContent()).toContain('suppressConsent');
    await admin.page.getByRole('button', { name: 'Verify the audit log' }).click();
    await expect(admin.page.getByTestId('verification').textContent()).resolves.toContain('Intact');
    const download = admin.page.waitForEvent('download');
    await admin.page.getByRole('button', { name: 'Export CSV' }).click();
    expect((await download).suggestedFilename()).toMatch(/^pact-audit-.*\.csv$/);
    await shot(admin.page, 'audit-1280');
  });

  it('charts usage and cost, shows agents and settings', async () => {
    await admin.page.goto('/ui/usage');
    await admin.page.getByTestId('usage-cost').waitFor();
    await shot(admin.page, 'usage-1280');

    await admin.page.goto('/ui/agents');
    await admin.page.getByRole('heading', { name: 'Roster' }).waitFor();
    await admin.page.getByLabel('Question').fill('Which accounts are in software?');
    await admin.page.getByRole('button', { name: 'Ask' }).click();
    await admin.page.getByTestId('ask-answer').waitFor();
    await admin.page.getByRole('button', { name: 'Read today’s briefing' }).click();
    await admin.page.getByTestId('briefing').waitFor();
    await admin.page.getByRole('cell', { name: 'workspace-qa' }).first().waitFor();
    await shot(admin.page, 'agents-1280');

    await admin.page.goto('/ui/settings');
    await admin.page.getByTestId('rotation-status').waitFor();
    await shot(admin.page, 'settings-1280');
    await admin.page.goto('/ui/accounts');
    await admin.page.locator('tbody tr').first().waitFor();
    await shot(admin.page, 'accounts-1280');
  });

  it('refuses a member the audit log (the page says so; the API refused)', async () => {
    const member = await open();
    await signIn(member, 'member@pact.demo');
    expect(await member.page.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    await member.page.goto('/ui/audit');
    await member.page.getByText('Not allowed').first().waitFor();
    await shot(member.page, 'member-audit-refused');
  });

  it('gives the read-only auditor the audit log and its verification, and no admin page', async () => {
    const auditor = await open();
    await signIn(auditor, 'auditor@pact.demo');
    const nav = auditor.page.getByRole('navigation', { name: 'Console' });
    await nav.getByRole('link', { name: 'Audit log' }).click();
    await auditor.page.getByTestId('auditor-view').waitFor();
    await auditor.page.getByTestId('audit-table').waitFor();
    await auditor.page.getByRole('button', { name: 'Verify the audit log' }).click();
    await expect(auditor.page.getByTestId('verification').textContent()).resolves.toContain('Intact');
    await shot(auditor.page, 'auditor-audit-1280');
    for (const name of ['MCP servers', 'Consent', 'Usage & cost']) expect(await nav.getByRole('link', { name, exact: true }).count(), name).toBe(0);
    // Typed in anyway, an admin page is refused by the API and says so.
    for (const [path, says] of [['/ui/usage', 'Not allowed'], ['/ui/mcp-servers', 'Not allowed'], ['/ui/consent', 'The consent list needs read:consent']] as const) {
      await auditor.page.goto(path);
      await auditor.page.getByText(says).first().waitFor();
    }
    await auditor.page.goto('/ui/settings');
    await heading(auditor, 'Settings').waitFor();
    expect(await auditor.page.getByRole('heading', { name: 'Members and auditors' }).count()).toBe(0);
  });

  it('lets an admin make a member an auditor and take it back, each behind a confirmation saying what happens', async () => {
    await admin.page.goto('/ui/settings');
    const row = admin.page.getByTestId('member-manager@pact.demo');
    await row.getByRole('button', { name: 'Make auditor (read:audit)' }).click();
    const dialog = admin.page.getByRole('dialog');
    await expect(dialog.textContent()).resolves.toContain('becomes a read-only auditor');
    await shot(admin.page, 'settings-auditor-confirm-1280');
    await dialog.getByRole('button', { name: 'Give read:audit' }).click();
    await row.getByRole('button', { name: 'Take back read:audit' }).click();
    await expect(admin.page.getByRole('dialog').textContent()).resolves.toContain('can no longer read the audit log');
    await admin.page.getByRole('dialog').getByRole('button', { name: 'Take back read:audit' }).click();
    await row.getByRole('button', { name: 'Make auditor (read:audit)' }).waitFor();
    const rows = await pact.sql<{ operation: string; path: string; outcome: string }>(
      sql`select operation, path, outcome from audit_log where operation in ('grantMemberScope', 'revokeMemberScope') order by seq`,
    );
    expect(rows).toEqual([
      { operation: 'grantMemberScope', path: 'ui', outcome: 'ok' },
      { operation: 'revokeMemberScope', path: 'ui', outcome: 'ok' },
    ]);
  });

  it('lists the connected MCP servers with tools, governance and status; approves a changed tool, disables, enables and rediscovers', async () => {
    // The upstream's definition of ping changed since it was approved (as a later discovery records it).
    await pact.sql(sql`update federated_tools set approved_hash = 'sha256:earlier' where federated_name = 'orders__ping'`);
    await admin.page.goto('/ui/mcp-servers');
    await admin.page.getByTestId('server-orders').waitFor();
    expect(await admin.page.getByTestId('status-orders').textContent()).toBe('ACTIVE');
    const lookup = admin.page.getByTestId('tool-orders__lookup_orders');
    const ping = admin.page.getByTestId('tool-orders__ping');
    expect(await lookup.textContent()).toContain('Callable');
    expect(await lookup.textContent()).toContain('owner, admin, member');
    expect(await lookup.textContent()).toContain('30/min');
    expect(await ping.textContent()).toContain('Changed — needs approval');
    await shot(admin.page, 'mcp-servers-1280');

    await ping.getByRole('button', { name: 'Approve' }).click();
    await expect(admin.page.getByRole('dialog').textContent()).resolves.toContain('becomes callable again with its new definition');
    await admin.page.getByRole('dialog').getByRole('button', { name: 'Approve' }).click();
    await admin.page.getByTestId('mcp-done').getByText('Approved orders__ping.').waitFor();
    await ping.getByText('Callable').waitFor();

    // Keyboard: the disable switch is a button reached and pressed without a mouse; the dialog's Cancel has focus first.
    await lookup.getByRole('button', { name: 'Disable orders__lookup_orders' }).focus();
    await admin.page.keyboard.press('Enter');
    const dialog = admin.page.getByRole('dialog');
    await expect(dialog.textContent()).resolves.toContain('is refused to every caller from their next call');
    expect(await admin.page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await dialog.getByRole('button', { name: 'Disable' }).click();
    await lookup.getByText('Disabled (disabled by an admin)').waitFor();
    await lookup.getByRole('button', { name: 'Enable orders__lookup_orders' }).click();
    await admin.page.getByRole('dialog').getByRole('button', { name: 'Enable' }).click();
    await lookup.getByText('Callable').waitFor();

    await admin.page.getByRole('button', { name: 'Rediscover' }).click();
    await admin.page.getByRole('dialog').getByRole('button', { name: 'Rediscover' }).click();
    await admin.page.getByText('Rediscovered Orders: 2 tool(s) listed, 0 changed, 0 removed.').waitFor();
    const rows = await pact.sql<{ operation: string; path: string; outcome: string }>(
      sql`select operation, path, outcome from audit_log where path = 'ui' and operation in ('approveMcpTool', 'setMcpToolEnabled', 'discoverMcpServer') order by seq`,
    );
    expect(rows.map((r) => `${r.operation}:${r.outcome}`)).toEqual(['approveMcpTool:ok', 'setMcpToolEnabled:ok', 'setMcpToolEnabled:ok', 'discoverMcpServer:ok']);

    const narrow = await open(390);
    await signIn(narrow, 'admin@pact.demo');
    await narrow.page.goto('/ui/mcp-servers');
    await narrow.page.getByTestId('server-orders').waitFor();
    expect(await narrow.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(narrow.page, 'mcp-servers-390');
  });

  it('switches tenants for a user in two, reads at 390 px with the keyboard, and signs out', async () => {
    const owner = await open(390);
    await signIn(owner, 'owner@pact.demo');
    await heading(owner, 'Pipeline').waitFor();
    const tenant = owner.page.getByLabel('Tenant');
    const first = await tenant.inputValue();
    await tenant.selectOption(first === 'demo' ? 'globex' : 'demo');
    await owner.page.waitForFunction((was) => (document.querySelector('select[aria-label=Tenant]') as HTMLSelectElement | null)?.value !== was, first);
    await heading(owner, 'Pipeline').waitFor();
    // No horizontal scrolling of the page itself at 390 px (tables and the board scroll inside their boxes).
    expect(await owner.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(owner.page, 'pipeline-390');
    await owner.page.goto('/ui/contacts');
    await owner.page.locator('tbody tr').first().waitFor();
    expect(await owner.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(owner.page, 'contacts-390');
    // Keyboard: the skip link is the first stop, the navigation follows.
    await owner.page.keyboard.press('Tab');
    expect(await owner.page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await owner.page.getByRole('button', { name: 'Sign out' }).click();
    await owner.page.getByRole('heading', { name: 'Sign in to Pact' }).waitFor();
    await owner.page.goto('/ui/contacts');
    await owner.page.getByRole('heading', { name: 'Sign in to Pact' }).waitFor();
  });
});
