import { ROSTER } from '../../services/agents/roster';
import { SCOPE_DESCRIPTIONS } from '../../services/oauth/scopes';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;background:#f5f6f8;color:#1d2330;margin:0}
main{max-width:420px;margin:8vh auto;background:#fff;border-radius:12px;padding:32px;box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:22px;margin:0 0 8px}p.muted{color:#5b6475;margin-top:0}label{display:block;margin:14px 0 4px;font-weight:600}
input,select{width:100%;box-sizing:border-box;padding:10px;border:1px solid #c9cfda;border-radius:8px;font:inherit}
ul{padding-left:20px}li{margin:6px 0}code{background:#eef1f5;padding:1px 5px;border-radius:4px}
.row{display:flex;gap:12px;margin-top:24px}button{flex:1;padding:11px;border-radius:8px;border:0;font:inherit;font-weight:600;cursor:pointer}
.primary{background:#2656d9;color:#fff}.secondary{background:#e6e9ef;color:#1d2330}.error{background:#fdecec;color:#9b1c1c;padding:10px;border-radius:8px}`;

/** Security headers for the sign-in and consent pages; `formTargets` are origins a form may post or redirect to. */
export function pageHeaders(formTargets: string[] = []): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${formTargets.join(' ')}; frame-ancestors 'none'; base-uri 'none'`,
  };
}

const layout = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)} · Pact</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;

/** How a page names the client: `name` is what the client says; `verifiedHost` is where its metadata document is published (checked by fetching it). */
export interface ClientLabel {
  name: string;
  verifiedHost?: string;
}

const clientIntro = (client: ClientLabel) =>
  client.verifiedHost
    ? `<strong>${esc(client.name)}</strong> (a name the client gives itself; verified: its identity is published by <strong>${esc(client.verifiedHost)}</strong>)`
    : `<strong>${esc(client.name)}</strong>`;

export interface SignInPage {
  requestId: string;
  client: ClientLabel;
  email?: string;
  error?: string;
}

export function signInPage(page: SignInPage): string {
  return layout(
    'Sign in',
    `<h1>Sign in to Pact</h1><p class="muted">${clientIntro(page.client)} wants to connect to your Pact workspace.</p>
${page.error ? `<p class="error" role="alert">${esc(page.error)}</p>` : ''}
<form method="post" action="/oauth/sign-in">
<input type="hidden" name="request" value="${esc(page.requestId)}">
<label for="email">E-mail</label><input id="email" name="email" type="email" autocomplete="username" required value="${esc(page.email ?? '')}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<div class="row"><button class="primary" type="submit">Sign in</button></div></form>`,
  );
}

export interface ConsentPage {
  requestId: string;
  formToken: string;
  client: ClientLabel;
  redirectHost: string;
  /** The redirect goes to a program on the user's computer (any local program can claim a client's name). */
  loopbackRedirect?: boolean;
  resource: string;
  userEmail: string;
  scopes: string[];
  tenants: { id: string; name: string; slug: string; role: string }[];
}

/** Which scopes each agent needs besides read:workflows, under the read:workflows line of the consent page. */
const agentScopes = `<br><small>Each agent also needs the scopes of the records it reads: ${ROSTER.map(
  (a) => `${esc(a.id)} (${a.requiredScopes.filter((x) => x !== 'read:workflows').map((x) => `<code>${esc(x)}</code>`).join(', ') || 'nothing more'})`,
).join('; ')}.</small>`;

export function consentPage(page: ConsentPage): string {
  const scopes = page.scopes
    .map((s) => `<li><code>${esc(s)}</code> — ${esc(SCOPE_DESCRIPTIONS[s] ?? s)}${s === 'read:workflows' ? agentScopes : ''}</li>`)
    .join('');
  const tenants =
    page.tenants.length === 1
      ? `<p>Workspace: <strong>${esc(page.tenants[0]?.name ?? '')}</strong> (${esc(page.tenants[0]?.role ?? '')})</p><input type="hidden" name="tenant" value="${esc(page.tenants[0]?.id ?? '')}">`
      : `<label for="tenant">Workspace</label><select id="tenant" name="tenant">${page.tenants
          .map((t) => `<option value="${esc(t.id)}">${esc(t.name)} (${esc(t.slug)}, ${esc(t.role)})</option>`)
          .join('')}</select>`;
  return layout(
    'Approve access',
    `<h1>Allow ${esc(page.client.name)}?</h1>
${page.client.verifiedHost ? `<p class="muted">“${esc(page.client.name)}” is the name the client gives itself. Verified: its identity document is published by <strong>${esc(page.client.verifiedHost)}</strong>.</p>` : ''}
<p class="muted">Signed in as ${esc(page.userEmail)}. After you decide, you return to <strong>${esc(page.redirectHost)}</strong>.</p>
${page.loopbackRedirect && page.client.verifiedHost ? `<p class="error">It returns to a program on this computer (${esc(page.redirectHost)}); any local program could use this client's name. Allow only if you just started this connection yourself.</p>` : ''}
<p>It asks to:</p><ul>${scopes}</ul>
<p class="muted">For <code>${esc(page.resource)}</code>. Every call it makes is consent-filtered, audited and metered in the workspace you choose; it gets no more than your role allows.</p>
<form method="post" action="/oauth/consent">
<input type="hidden" name="request" value="${esc(page.requestId)}"><input type="hidden" name="csrf" value="${esc(page.formToken)}">
${tenants}
<div class="row"><button class="secondary" type="submit" name="decision" value="deny">Deny</button><button class="primary" type="submit" name="decision" value="approve">Allow</button></div></form>`,
  );
}

export function messagePage(title: string, message: string): string {
  return layout(title, `<h1>${esc(title)}</h1><p>${esc(message)}</p>`);
}
