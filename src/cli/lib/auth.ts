import { CliError, ExitCode } from './errors';
import { postJson } from './http';

export interface TenantChoice {
  id: string;
  slug: string;
  name: string;
  role: string;
}

export interface SignedIn {
  token: string;
  userId: string;
  expiresAt: string;
  tenants: TenantChoice[];
}

const serverError = (body: Record<string, unknown>): string | null => {
  const error = body.error as { message?: unknown } | undefined;
  return typeof error?.message === 'string' ? error.message : null;
};

/** POST /auth/sign-in for a `pact_sess_` token. Wrong credentials are exit code 3. */
export async function signIn(url: string, email: string, password: string): Promise<SignedIn> {
  const { status, body } = await postJson(url, '/auth/sign-in', { email, password, kind: 'token' });
  if (status === 401) {
    throw new CliError(serverError(body) ?? 'E-mail or password is incorrect.', ExitCode.NotAuthenticated, 'Check them and run `pact login` again.');
  }
  if (status !== 200 || typeof body.token !== 'string' || !Array.isArray(body.tenants)) {
    throw new CliError(serverError(body) ?? `Sign-in failed: ${url}/auth/sign-in answered HTTP ${status}.`, ExitCode.Failed);
  }
  return body as unknown as SignedIn;
}

/** POST /auth/sign-out with the token as bearer: the session stops working on every instance. */
export async function signOut(url: string, token: string): Promise<void> {
  const { status, body } = await postJson(url, '/auth/sign-out', {}, { authorization: `Bearer ${token}` });
  if (status !== 200) throw new CliError(serverError(body) ?? `Sign-out failed: HTTP ${status}.`, ExitCode.Failed);
}
