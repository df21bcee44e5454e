import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); CHROMIUM_PATH overrides. Nothing is downloaded. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = 'test-artifacts/ui';

export const launch = (): Promise<Browser> => chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });

export interface ConsoleTab {
  context: BrowserContext;
  page: Page;
  /** Every /graphql request body the page sent. */
  graphql: Record<string, unknown>[];
  /** Console errors and CSP violations the page reported. */
  problems: string[];
}

export async function openConsole(browser: Browser, base: string, width = 1280): Promise<ConsoleTab> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, baseURL: base });
  const page = await context.newPage();
  const graphql: Record<string, unknown>[] = [];
  const problems: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/graphql') graphql.push(JSON.parse(request.postData() ?? '{}') as Record<string, unknown>);
  });
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return { context, page, graphql, problems };
}

export async function signIn(tab: ConsoleTab, email: string, password = 'pact-demo'): Promise<void> {
  await tab.page.goto('/ui/');
  await tab.page.getByLabel('E-mail').fill(email);
  await tab.page.getByLabel('Password').fill(password);
  await tab.page.getByRole('button', { name: 'Sign in' }).click();
  await tab.page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
}
