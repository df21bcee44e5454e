import { CliError, ExitCode, usageError } from './errors';

export const DEFAULT_URL = 'http://127.0.0.1:4000';
const TIMEOUT_MS = 30_000;

/** A Pact base URL without trailing slashes; `source` names where it came from (`PACT_URL`, `--url`). */
export function normaliseUrl(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw usageError(`${source} is not a URL: '${raw}'.`, "Use the Pact server's base URL, e.g. http://127.0.0.1:4000.");
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`${source} must be an http:// or https:// URL: '${raw}'.`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function unreachable(url: string, error: unknown): CliError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const name = (error as { name?: string }).name;
  const why =
    name === 'TimeoutError'
      ? `no answer within ${TIMEOUT_MS / 1000} s`
      : cause?.code === 'ECONNREFUSED'
        ? 'connection refused'
        : cause?.code === 'ENOTFOUND'
          ? 'host not found'
          : (cause?.code ?? cause?.message ?? (error as Error).message);
  return new CliError(
    `Cannot reach Pact at ${url} (${why}).`,
    ExitCode.Unreachable,
    'Start the server with `npm start` in the Pact checkout, or point PACT_URL at a running Pact server.',
  );
}

export interface JsonResponse {
  status: number;
  body: Record<string, unknown>;
}

/** POSTs JSON to `${baseUrl}${path}`; an unreachable server is exit code 4, a non-Pact answer exit code 1. */
export async function postJson(baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'pact-cli', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw unreachable(baseUrl, error);
  }
  const text = await response.text();
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return { status: response.status, body: parsed as Record<string, unknown> };
  } catch {
    // not JSON: reported below
  }
  throw new CliError(
    `${baseUrl}${path} answered HTTP ${response.status} with something other than Pact's JSON.`,
    ExitCode.Failed,
    "Check that PACT_URL is the Pact server's base URL.",
  );
}
