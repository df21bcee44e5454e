// `npm run dev`: the API (tsx watch, port 4000) and the console with hot module reload (Vite, port
// 5173, proxying /graphql and /auth to the API). Open http://localhost:5173/ui/. Ctrl-C stops both.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const port = process.env.PORT ?? '4000';
const children = [
  spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'watch', 'src/app/main.ts'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'development', PORT: port },
  }),
  spawn(process.execPath, ['node_modules/vite/bin/vite.js', '--config', 'console/vite.config.ts'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PACT_API_URL: `http://127.0.0.1:${port}` },
  }),
];
const stop = () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const child of children) child.on('exit', (code) => {
  stop();
  process.exitCode = code ?? 0;
});
