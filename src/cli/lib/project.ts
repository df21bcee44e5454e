import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { CliError, ExitCode } from './errors';
import { federatedName, formatPactTomlError, parsePactToml, type PactToml, type PactTomlError } from './pact-toml';

export interface LoadedPactToml {
  /** The path as the user should read it in messages (relative to the working directory when inside it). */
  display: string;
  path: string;
  /** The file's text. */
  text: string;
  result: { ok: true; config: PactToml } | { ok: false; errors: PactTomlError[] };
}

/** Reads a `pact.toml` (default: the one in the working directory); a missing file is a usage error. */
export async function loadPactToml(file: string | undefined, cwd = process.cwd()): Promise<LoadedPactToml> {
  const path = resolve(cwd, file ?? 'pact.toml');
  const rel = relative(cwd, path);
  const display = rel && !rel.startsWith('..') ? rel : path;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT' ? `No ${display} here.` : `Cannot read ${display}: ${(error as Error).message}`,
      ExitCode.Usage,
      code === 'ENOENT' ? 'Run this in a directory made by `pact init mcp-server NAME`, or pass --config FILE.' : null,
    );
  }
  return { display, path, text, result: parsePactToml(text) };
}

export const errorLines = (loaded: LoadedPactToml): string =>
  loaded.result.ok ? '' : loaded.result.errors.map((e) => `${formatPactTomlError(loaded.display, e)}\n`).join('');

/** The human summary of a valid file. */
export function summary(config: PactToml): string {
  const { server, tools } = config;
  const auth = server.auth_kind === 'header' ? `header ${server.auth_header ?? ''}` : server.auth_kind;
  const out = [`server '${server.name}' (slug ${server.slug}) at ${server.endpoint_url}, ${server.transport}, auth ${auth}\n`];
  const entries = Object.entries(tools);
  if (entries.length === 0) out.push('no [tools.X] entries: every discovered tool stays disabled when published\n');
  for (const [name, t] of entries) {
    const parts = [
      t.enabled ? 'enabled' : 'disabled',
      `roles=${t.allowed_roles.join(',')}`,
      `rate=${t.rate_limit_per_min === undefined ? '—' : `${t.rate_limit_per_min}/min`}`,
      `cap=${t.cost_cap_cents === undefined ? '—' : `${t.cost_cap_cents}¢/day`}`,
      `est=${t.est_cost_cents}¢`,
      `pii=${t.pii_policy}`,
    ];
    out.push(`  ${federatedName(server.slug, name)}  ${parts.join('  ')}\n`);
  }
  return out.join('');
}
