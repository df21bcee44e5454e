import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { defineCommand } from '../../lib/command';
import { CliError, ExitCode } from '../../lib/errors';
import { projectNameProblem } from '../../lib/pact-toml';
import { LANG_NAMES, LANGS, SDK_DIR, renderScaffold, targetProblem, writeScaffold, type Lang } from '../../lib/scaffold';

export interface InitResult {
  name: string;
  lang: Lang;
  dir: string;
  files: string[];
  /** Where the SDK comes from: a `file:` path into this checkout, or the registry. */
  sdk: string | null;
}

export default defineCommand<InitResult, { lang: string; json?: boolean }>({
  path: ['init', 'mcp-server'],
  summary: 'Scaffold an MCP server whose tools are consent-gated, cost-metered and rate-limited',
  json: true,
  configure: (command) =>
    command
      .argument('<name>', 'the server name: also its directory, package name and slug (e.g. my-tools)')
      .option('--lang <lang>', 'ts (TypeScript, @pact/mcp-server) or py (Python, FastMCP)', 'ts')
      .addHelpText(
        'after',
        '\nWrites NAME/ with two example tools (lookup_orders, consent-gated on email; ping), a pact.toml, a README and a test.\n\nExamples:\n  $ pact init mcp-server my-tools\n  $ pact init mcp-server my-tools --lang py',
      ),
  async run({ args, options }) {
    const [name = ''] = args;
    const lang = options.lang as Lang;
    if (!LANGS.includes(lang)) throw new CliError(`Unknown --lang "${options.lang}": use ts (TypeScript) or py (Python).`, ExitCode.Failed);
    const problem = projectNameProblem(name);
    if (problem) throw new CliError(problem, ExitCode.Failed);
    const cwd = process.cwd();
    const dir = join(cwd, name);
    const taken = await targetProblem(dir, `./${name}`);
    if (taken) throw new CliError(taken, ExitCode.Failed);
    const files = await renderScaffold(lang, name);
    await writeScaffold(dir, files);
    const sdk = lang === 'ts' ? (existsSync(join(SDK_DIR, 'package.json')) ? `file:${SDK_DIR}` : null) : null;
    return { name, lang, dir: relative(cwd, dir) || '.', files: files.map((f) => f.path), sdk };
  },
  render(r, io) {
    const install = r.lang === 'ts' ? 'npm install' : 'pip install -r requirements.txt';
    const test = r.lang === 'ts' ? 'npm test' : 'python3 -m pytest';
    io.out(`Created ${r.dir}/: an MCP server in ${LANG_NAMES[r.lang]}\n`);
    for (const file of r.files) io.out(`  ${file}\n`);
    if (r.sdk) io.out(`@pact/mcp-server comes from this checkout (${r.sdk}).\n`);
    if (r.sdk && !existsSync(join(SDK_DIR, 'dist', 'index.js')))
      io.err(`warning: ${SDK_DIR}/dist is not built yet: run \`npm install\` in the checkout first (its prepare script builds it).\n`);
    io.out(`\nNext:\n  cd ${r.dir}\n  ${install}\n  ${test}\n  pact mcp dev          # hot-reload dev server on http://127.0.0.1:9000/mcp\n`);
  },
});
