import type { Command } from 'commander';
import { printJson, type Io } from './output';

/** What a command's `run` gets. */
export interface RunContext<Options> {
  /** Positional arguments, in declaration order. */
  args: string[];
  options: Options;
  io: Io;
}

/**
 * One `pact` command, one file (as `commands/<topic>/<verb>.ts`). `run` returns the command's typed
 * result; `--json` prints it as it is, otherwise `render` prints it for people.
 */
export interface CommandSpec<Result, Options = Record<string, never>> {
  /** The words after `pact`: `['login']`, `['keys', 'create']`. */
  path: readonly [string] | readonly [string, string];
  summary: string;
  /** Declares arguments, options and extra help (examples) on the commander command. */
  configure?(command: Command): void;
  /** Offer `--json` (machine output of the result). */
  json?: boolean;
  run(context: RunContext<Options>): Promise<Result>;
  render(result: Result, io: Io): void;
}

export interface PactCommand {
  path: readonly string[];
  summary: string;
  configure(command: Command): void;
  execute(args: string[], options: Record<string, unknown>, io: Io): Promise<void>;
}

/** Types a command's spec and erases its types for the program builder. */
export function defineCommand<Result, Options = Record<string, never>>(spec: CommandSpec<Result, Options>): PactCommand {
  return {
    path: spec.path,
    summary: spec.summary,
    configure(command) {
      spec.configure?.(command);
      if (spec.json) command.option('--json', 'print the result as JSON');
    },
    async execute(args, options, io) {
      const result = await spec.run({ args, options: options as Options, io });
      if (spec.json && options.json) printJson(io, result);
      else spec.render(result, io);
    },
  };
}
