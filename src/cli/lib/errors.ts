/** The `pact` exit codes (documented in the README). */
export const ExitCode = {
  Ok: 0,
  /** The server refused or failed; its message is relayed. */
  Failed: 1,
  /** Bad arguments or options. */
  Usage: 2,
  /** Not logged in, or the credential was refused. */
  NotAuthenticated: 3,
  /** PACT_URL cannot be reached. */
  Unreachable: 4,
  /** Interrupted at a prompt (Ctrl-C). */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An expected failure: its message (and hint, on its own line) is printed to stderr as it is. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly hint: string | null = null,
    /** The server's error code when the failure relays one (`FORBIDDEN`, `UPSTREAM_UNREACHABLE`). */
    readonly code: string | null = null,
    /** The input field the server's error names (`extensions.field`), if any. */
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string, hint: string | null = null) => new CliError(message, ExitCode.Usage, hint);

export const notLoggedIn = (message = 'Not logged in to Pact.') =>
  new CliError(message, ExitCode.NotAuthenticated, 'Run `pact login` (or set PACT_ADMIN_TOKEN to a pact_sess_ or pact_live_ token).');
