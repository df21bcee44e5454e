import { signIn, signOut, type TenantChoice } from '../lib/auth';
import { defineCommand } from '../lib/command';
import { readLogin, saveLogin } from '../lib/config';
import { envUrl } from '../lib/credentials';
import { usageError } from '../lib/errors';
import { DEFAULT_URL, normaliseUrl } from '../lib/http';
import { shortTime } from '../lib/output';
import { promptHidden, promptLine, readStdin } from '../lib/prompt';

interface Options {
  email?: string;
  passwordStdin?: boolean;
  tenant?: string;
  url?: string;
}

export interface LoginResult {
  url: string;
  email: string;
  tenant: string;
  role: string;
  expiresAt: string;
  credentialsFile: string;
}

const describe = (tenants: TenantChoice[]) => tenants.map((t) => `${t.slug} (${t.role})`).join(', ');

const isLoopback = (url: string) => ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);

export default defineCommand<LoginResult, Options>({
  path: ['login'],
  summary: 'Sign in with e-mail and password and store a session token for the other commands',
  configure: (command) =>
    command
      .option('--email <email>', 'your e-mail (asked for when omitted on a terminal)')
      .option('--password-stdin', 'read the password from stdin instead of a hidden prompt (scripts)')
      .option('--tenant <slug>', 'the tenant to use when you belong to several (default: PACT_TENANT)')
      .option('--url <url>', `the Pact server (default: PACT_URL, else ${DEFAULT_URL})`)
      .addHelpText(
        'after',
        `
The session token (pact_sess_…) is stored in credentials.json in your config directory
($XDG_CONFIG_HOME/pact, ~/.config/pact, %APPDATA%\\pact on Windows, or PACT_CONFIG_DIR), mode 0600.
It is never printed. PACT_ADMIN_TOKEN, when set, takes precedence over it.

Examples:
  $ pact login --email admin@pact.demo
  $ printf %s "$PACT_PASSWORD" | pact login --email admin@pact.demo --password-stdin --tenant demo`,
      ),
  async run({ options, io }) {
    const url = options.url ? normaliseUrl(options.url, '--url') : (envUrl(io.env) ?? DEFAULT_URL);
    const interactive = Boolean(io.stdin.isTTY) && !options.passwordStdin;
    const email = (options.email?.trim() || (interactive ? await promptLine(io, 'E-mail: ') : '')).toLowerCase();
    if (!email) throw usageError('Pass your e-mail with --email.', 'e.g. `pact login --email you@example.com`');
    let password: string;
    if (options.passwordStdin) password = await readStdin(io);
    else if (io.stdin.isTTY) password = await promptHidden(io, 'Password: ');
    else {
      throw usageError(
        'There is no terminal to ask for the password.',
        'Pipe it in with --password-stdin, e.g. `printf %s "$PACT_PASSWORD" | pact login --email you@example.com --password-stdin`.',
      );
    }
    if (!password) throw usageError('The password is empty.');
    if (!isLoopback(url) && url.startsWith('http:')) io.err(`warning: ${url} is plain HTTP; your password and session travel unencrypted.\n`);

    const session = await signIn(url, email, password);
    const wanted = options.tenant?.trim() || io.env.PACT_TENANT?.trim() || null;
    const from = options.tenant ? '--tenant' : 'PACT_TENANT';
    const tenant = wanted ? session.tenants.find((t) => t.slug === wanted || t.id === wanted) : session.tenants.length === 1 ? session.tenants[0] : undefined;
    if (!tenant) {
      await signOut(url, session.token).catch(() => undefined);
      if (session.tenants.length === 0) throw usageError(`${email} belongs to no tenant.`, 'Ask a tenant owner or admin to add you.');
      if (wanted) throw usageError(`${email} is not a member of tenant '${wanted}' (${from}); your tenants: ${describe(session.tenants)}.`, 'Choose one of them with --tenant <slug>.');
      throw usageError(`${email} belongs to several tenants: ${describe(session.tenants)}.`, `Choose one with --tenant <slug>, e.g. \`pact login --tenant ${session.tenants[0]?.slug}\`.`);
    }

    const previous = await readLogin(io.env).catch(() => null);
    const credentialsFile = await saveLogin(io.env, { url, token: session.token, tenant: tenant.slug, email, userId: session.userId, expiresAt: session.expiresAt });
    if (previous && previous.token !== session.token) await signOut(previous.url, previous.token).catch(() => undefined);
    return { url, email, tenant: tenant.slug, role: tenant.role, expiresAt: session.expiresAt, credentialsFile };
  },
  render(result, io) {
    io.out(`Logged in to ${result.url} as ${result.email} (tenant ${result.tenant}, role ${result.role}).\n`);
    io.out(`Session saved to ${result.credentialsFile}; it expires ${shortTime(result.expiresAt)}.\n`);
  },
});
