/** Cleanup steps run in reverse order at the end of a benchmark, also on Ctrl-C / SIGTERM. */
const steps: (() => Promise<void>)[] = [];
let installed = false;

export function onCleanup(step: () => Promise<void>): () => Promise<void> {
  steps.push(step);
  if (!installed) {
    installed = true;
    const bail = (signal: string) => {
      console.error(`\n${signal}: cleaning up (servers, benchmark database)…`);
      void runCleanup().finally(() => process.exit(130));
    };
    process.once('SIGINT', () => bail('SIGINT'));
    process.once('SIGTERM', () => bail('SIGTERM'));
  }
  return async () => {
    const i = steps.indexOf(step);
    if (i >= 0) steps.splice(i, 1);
    await step();
  };
}

export async function runCleanup(): Promise<void> {
  while (steps.length > 0) {
    const step = steps.pop();
    try {
      await step?.();
    } catch (error) {
      console.error(`cleanup step failed: ${(error as Error).message}`);
    }
  }
}
