import { defineCommand } from '../../lib/command';
import { CliError, ExitCode } from '../../lib/errors';
import type { PactToml } from '../../lib/pact-toml';
import { errorLines, loadPactToml, summary } from '../../lib/project';

export interface ValidateResult {
  file: string;
  config: PactToml;
}

export default defineCommand<ValidateResult, { config?: string }>({
  path: ['mcp', 'validate'],
  summary: 'Check pact.toml: every error names its line and field',
  configure: (command) =>
    command
      .option('--config <file>', 'the file to check', 'pact.toml')
      .addHelpText('after', '\nErrors print as `pact.toml:LINE: field: message`; the exit code is 1 when there is any.\n\nExample:\n  $ pact mcp validate'),
  async run({ options, io }) {
    const loaded = await loadPactToml(options.config);
    if (!loaded.result.ok) {
      io.err(errorLines(loaded));
      const n = loaded.result.errors.length;
      throw new CliError(`${loaded.display} is not valid (${n} error${n === 1 ? '' : 's'}).`, ExitCode.Failed);
    }
    return { file: loaded.display, config: loaded.result.config };
  },
  render(r, io) {
    io.out(`${r.file} OK: ${summary(r.config)}`);
  },
});
