import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { CliError, ExitCode } from './errors';

/** What `pact login` stores. The token is a `pact_sess_…` session token: never printed. */
export interface StoredLogin {
  url: string;
  token: string;
  /** The tenant slug sent as X-Tenant-ID. */
  tenant: string;
  email: string;
  userId: string;
  expiresAt: string;
}

/**
 * The directory holding `credentials.json`: `PACT_CONFIG_DIR`, else `%APPDATA%\pact` on Windows,
 * else `$XDG_CONFIG_HOME/pact`, else `~/.config/pact`.
 */
export function configDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  if (env.PACT_CONFIG_DIR) return env.PACT_CONFIG_DIR;
  if (platform === 'win32' && env.APPDATA) return join(env.APPDATA, 'pact');
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, '.config'), 'pact');
}

export const credentialsPath = (env: NodeJS.ProcessEnv): string => join(configDir(env), 'credentials.json');

const isLogin = (value: unknown): value is StoredLogin => {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return ['url', 'token', 'tenant', 'email', 'userId', 'expiresAt'].every((k) => typeof v[k] === 'string');
};

/** The stored login, or null when there is none. A damaged file is an error naming the fix. */
export async function readLogin(env: NodeJS.ProcessEnv): Promise<StoredLogin | null> {
  const path = credentialsPath(env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError(`Cannot read ${path}: ${(error as Error).message}.`, ExitCode.NotAuthenticated, 'Run `pact login` again.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (!isLogin(parsed)) throw new CliError(`${path} is not a Pact credentials file.`, ExitCode.NotAuthenticated, 'Run `pact login` to replace it.');
  return parsed;
}

/**
 * Writes the login atomically: the directory is 0700 and the file 0600 (set explicitly, so an
 * existing directory or an overwritten file gets them too). Returns the file's path.
 */
export async function saveLogin(env: NodeJS.ProcessEnv, login: StoredLogin): Promise<string> {
  const dir = configDir(env);
  const path = credentialsPath(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const temporary = join(dir, `.credentials.${process.pid}.tmp`);
  try {
    await writeFile(temporary, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600, flag: 'w' });
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
  await chmod(path, 0o600);
  return path;
}

/** Deletes the stored login; false when there was none. */
export async function removeLogin(env: NodeJS.ProcessEnv): Promise<boolean> {
  const path = credentialsPath(env);
  try {
    await rm(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
