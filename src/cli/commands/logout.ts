import { signOut } from '../lib/auth';
import { defineCommand } from '../lib/command';
import { readLogin, removeLogin } from '../lib/config';
import { CliError, ExitCode } from '../lib/errors';
import { shortTime } from '../lib/output';

export interface LogoutResult {
  /** False when there was no stored login. */
  loggedOut: boolean;
  url: string | null;
  email: string | null;
}

export default defineCommand<LogoutResult>({
  path: ['logout'],
  summary: 'End the stored session on the server and delete it (quiet when not logged in)',
  configure: (command) =>
    command.addHelpText('after', '\nPACT_ADMIN_TOKEN is not touched: unset it yourself.\n\nExample:\n  $ pact logout'),
  async run({ io }) {
    const login = await readLogin(io.env).catch(async (error: unknown) => {
      // A damaged file holds nothing usable: remove it.
      if (error instanceof CliError) return null;
      throw error;
    });
    if (!login) {
      await removeLogin(io.env);
      return { loggedOut: false, url: null, email: null };
    }
    let failure: unknown = null;
    try {
      await signOut(login.url, login.token);
    } catch (error) {
      failure = error;
    }
    await removeLogin(io.env);
    if (failure instanceof CliError) {
      throw new CliError(
        `Deleted the stored credentials, but could not end the session on ${login.url}: ${failure.message}`,
        failure.exitCode === ExitCode.Unreachable ? ExitCode.Unreachable : ExitCode.Failed,
        `The session stays valid on the server until ${shortTime(login.expiresAt)}.`,
      );
    }
    if (failure) throw failure;
    return { loggedOut: true, url: login.url, email: login.email };
  },
  render(result, io) {
    if (result.loggedOut) io.out(`Logged out of ${result.url} (${result.email}); the session is ended on the server.\n`);
    else io.err('Not logged in.\n');
    if (io.env.PACT_ADMIN_TOKEN) io.err('note: PACT_ADMIN_TOKEN is still set in your environment.\n');
  },
});
