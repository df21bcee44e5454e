import { defineCommand } from '../lib/command';
import { resolveCredential } from '../lib/credentials';
import { graphql } from '../lib/graphql';
import { fields, shortTime } from '../lib/output';

export interface WhoamiResult {
  url: string;
  tenant: { id: string; slug: string };
  role: string;
  scopes: string[];
  email: string | null;
  displayName: string | null;
  userId: string | null;
  apiKeyId: string | null;
  credential: 'session' | 'api_key';
  /** `login` (the stored session) or `PACT_ADMIN_TOKEN`. */
  source: 'login' | 'PACT_ADMIN_TOKEN';
  /** When the stored session expires; null otherwise. */
  expiresAt: string | null;
}

interface Viewer {
  viewer: { tenantId: string; tenantSlug: string; role: string; scopes: string[]; userId: string | null; apiKeyId: string | null; email: string | null; displayName: string | null };
}

export default defineCommand<WhoamiResult, { json?: boolean }>({
  path: ['whoami'],
  summary: 'Show the server, tenant, user, role and scopes of the current credential',
  json: true,
  configure: (command) => command.addHelpText('after', '\nExamples:\n  $ pact whoami\n  $ pact whoami --json'),
  async run({ io }) {
    const credential = await resolveCredential(io.env);
    const { viewer } = await graphql<Viewer>(credential, '{ viewer { tenantId tenantSlug role scopes userId apiKeyId email displayName } }');
    return {
      url: credential.url,
      tenant: { id: viewer.tenantId, slug: viewer.tenantSlug },
      role: viewer.role,
      scopes: viewer.scopes,
      email: viewer.email,
      displayName: viewer.displayName,
      userId: viewer.userId,
      apiKeyId: viewer.apiKeyId,
      credential: credential.kind,
      source: credential.source === 'env' ? 'PACT_ADMIN_TOKEN' : 'login',
      expiresAt: credential.login?.expiresAt ?? null,
    };
  },
  render(r, io) {
    const what = r.credential === 'session' ? 'session token' : `API key ${r.apiKeyId ?? ''}`.trim();
    const where = r.source === 'login' ? `from \`pact login\`, expires ${shortTime(r.expiresAt)}` : 'from PACT_ADMIN_TOKEN';
    io.out(
      fields([
        ['URL', r.url],
        ['Tenant', r.tenant.slug],
        ['User', r.email ? `${r.email}${r.displayName ? ` (${r.displayName})` : ''}` : '— (an API key acts for the tenant)'],
        ['Role', r.role],
        ['Scopes', r.scopes.join(', ') || '—'],
        ['Credential', `${what} (${where})`],
      ]),
    );
  },
});
