import { readLogin, type StoredLogin } from './config';
import { CliError, ExitCode, notLoggedIn } from './errors';
import { DEFAULT_URL, normaliseUrl } from './http';
import { shortTime } from './output';

export const SESSION_PREFIX = 'pact_sess_';
export const API_KEY_PREFIX = 'pact_live_';

/** The credential a command calls Pact with. */
export interface Credential {
  url: string;
  token: string;
  /** Sent as X-Tenant-ID: PACT_TENANT, else the tenant chosen at login. */
  tenant: string | null;
  /** `env`: PACT_ADMIN_TOKEN; `login`: the file `pact login` wrote. */
  source: 'env' | 'login';
  kind: 'session' | 'api_key';
  login: StoredLogin | null;
}

/** `PACT_URL` (validated), or null. */
export const envUrl = (env: NodeJS.ProcessEnv): string | null => (env.PACT_URL?.trim() ? normaliseUrl(env.PACT_URL, 'PACT_URL') : null);

/**
 * PACT_ADMIN_TOKEN (with PACT_URL, default http://127.0.0.1:4000) wins over the stored login. A
 * stored session is only ever sent to the URL it was issued by.
 */
export async function resolveCredential(env: NodeJS.ProcessEnv): Promise<Credential> {
  const tenant = env.PACT_TENANT?.trim() || null;
  const token = env.PACT_ADMIN_TOKEN?.trim();
  if (token) {
    const kind = token.startsWith(SESSION_PREFIX) ? 'session' : token.startsWith(API_KEY_PREFIX) ? 'api_key' : null;
    if (!kind) {
      throw new CliError(
        'PACT_ADMIN_TOKEN is not a Pact token (expected pact_sess_… or pact_live_…).',
        ExitCode.NotAuthenticated,
        'Set it to a token from `pact login` or `pact keys create`, or unset it to use your `pact login` session.',
      );
    }
    return { url: envUrl(env) ?? DEFAULT_URL, token, tenant, source: 'env', kind, login: null };
  }
  const login = await readLogin(env);
  if (!login) throw notLoggedIn();
  const url = envUrl(env);
  if (url && url !== login.url) {
    throw new CliError(
      `You are logged in to ${login.url}, but PACT_URL is ${url}.`,
      ExitCode.NotAuthenticated,
      `Run \`pact login\` to log in to ${url}, or unset PACT_URL.`,
    );
  }
  if (Date.parse(login.expiresAt) <= Date.now()) throw notLoggedIn(`Your Pact session expired on ${shortTime(login.expiresAt)}.`);
  return { url: login.url, token: login.token, tenant: tenant ?? login.tenant, source: 'login', kind: 'session', login };
}
