import type { ReactNode } from 'react';
import { AccountsPage } from './pages/accounts';
import { AgentsPage } from './pages/agents';
import { AuditPage } from './pages/audit';
import { ContactPage } from './pages/contact';
import { ContactsPage } from './pages/contacts';
import { ConsentPage } from './pages/consent';
import { DealPage } from './pages/deal';
import { KeysPage } from './pages/keys';
import { McpServersPage } from './pages/mcp-servers';
import { PipelinePage } from './pages/pipeline';
import { SettingsPage } from './pages/settings';
import { UsagePage } from './pages/usage';
import { Link, useLocation } from './router';
import { useSession, type Viewer } from './session';
import { Empty, Page } from './ui';

interface NavItem {
  to: string;
  label: string;
  /** Who sees the link (the API refuses the others anyway). */
  shows: (v: Viewer) => boolean;
}

const has = (scope: string) => (v: Viewer) => v.scopes.includes(scope);
const admin = (v: Viewer) => v.role === 'owner' || v.role === 'admin';

export const NAV: NavItem[] = [
  { to: '/pipeline', label: 'Pipeline', shows: has('read:deals') },
  { to: '/accounts', label: 'Accounts', shows: has('read:accounts') },
  { to: '/contacts', label: 'Contacts', shows: has('read:contacts') },
  { to: '/consent', label: 'Consent', shows: has('write:consent') },
  { to: '/agents', label: 'Agents', shows: has('read:workflows') },
  { to: '/audit', label: 'Audit log', shows: (v) => admin(v) || v.scopes.includes('read:audit') },
  { to: '/usage', label: 'Usage & cost', shows: has('read:usage') },
  { to: '/keys', label: 'API keys', shows: (v) => v.role !== 'api' },
  { to: '/mcp-servers', label: 'MCP servers', shows: admin },
  { to: '/settings', label: 'Settings', shows: has('read:workflows') },
];

function route(path: string): ReactNode {
  const [, first, second] = path.split('/');
  switch (first) {
    case '':
    case 'pipeline':
      return <PipelinePage />;
    case 'deals':
      return second ? <DealPage id={second} /> : <PipelinePage />;
    case 'accounts':
      return <AccountsPage />;
    case 'contacts':
      return second ? <ContactPage id={second} /> : <ContactsPage />;
    case 'consent':
      return <ConsentPage />;
    case 'agents':
      return <AgentsPage />;
    case 'audit':
      return <AuditPage />;
    case 'usage':
      return <UsagePage />;
    case 'keys':
      return <KeysPage />;
    case 'mcp-servers':
      return <McpServersPage />;
    case 'settings':
      return <SettingsPage />;
    default:
      return (
        <Page title="Not found">
          <Empty>No page at {path}.</Empty>
        </Page>
      );
  }
}

export function Shell() {
  const { viewer, switchTenant, signOut } = useSession();
  const { path } = useLocation();
  const current = `/${path.split('/')[1] ?? ''}`;
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Pact</span>
        <label className="tenant">
          <span className="sr-only">Tenant</span>
          <select aria-label="Tenant" value={viewer.tenantSlug} onChange={(e) => switchTenant(e.target.value)} disabled={viewer.tenants.length < 2}>
            {viewer.tenants.map((t) => (
              <option key={t.slug} value={t.slug}>
                {t.name} ({t.role})
              </option>
            ))}
          </select>
        </label>
        <span className="who" data-testid="who">
          {viewer.displayName ?? viewer.email} · {viewer.role}
        </span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <nav aria-label="Console">
        <ul>
          {NAV.filter((n) => n.shows(viewer)).map((n) => (
            <li key={n.to}>
              <Link to={n.to} aria-current={current === n.to || (n.to === '/pipeline' && (current === '/' || current === '/deals')) ? 'page' : undefined}>
                {n.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main">{route(path)}</main>
    </div>
  );
}
