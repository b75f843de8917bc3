/**
 * Verifies a browser repro (`index.html`, render-page.ts) the way a reader of the issue would run
 * it, minus the network: the page is served from a temporary static server on 127.0.0.1 with its
 * jsDelivr script tags pointed at the local bundles of the tfjs under test, opened in headless
 * Chromium, and its `window.BN_SUITE_REPRO` read back. Every request that is not to that server is
 * aborted, so a verification never contacts the network.
 *
 * @packageDocumentation
 */
import type { Browser, Page } from 'playwright-core';
import type { BrowserBackendName } from '../../engine/backends';
import { CHROMIUM_ARGS, findChromium, type ChromiumLocation } from '../../hosts/browser/chromium';
import { startStaticServer, type Served, type StaticServer } from '../../hosts/browser/static-server';
import { bundlesFor, type FileResolver, type TfjsBundle } from '../../hosts/browser/tfjs-bundles';
import { resolveTfjsFile } from '../../hosts/node/tfjs';
import { cdnUrl, PAGE_RESULT_GLOBAL, type PageResult } from './render-page';
import type { Verification } from './verify';

/** Default time the page gets to set its result, loading included. */
export const DEFAULT_PAGE_TIMEOUT_MS = 120_000;

/** Where the local bundles are served; the CDN URLs of the page are rewritten to these. */
const LOCAL_BUNDLE_PREFIX = '/tfjs/';

/** Options of {@link verifyPageRepro}. */
export interface PageVerifyOptions {
  /** Time the page gets to set `window.BN_SUITE_REPRO`, loading included (default {@link DEFAULT_PAGE_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** Where Chromium is (default: {@link findChromium}). */
  chromium?: ChromiumLocation;
  /** Resolves files of the tfjs under test (default: this process's, {@link resolveTfjsFile}). */
  resolveTfjsFile?: FileResolver;
  /** Starts Chromium (default: playwright-core's `chromium.launch` with {@link CHROMIUM_ARGS}); injected by tests. */
  launch?: (executable: string) => Promise<Browser>;
}

async function launchChromium(executable: string): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: executable, headless: true, args: [...CHROMIUM_ARGS], timeout: 60_000 });
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n').find((line) => line.trim() !== '') ?? 'unknown error';
}

/**
 * The page with each bundle's jsDelivr script tag pointed at {@link LOCAL_BUNDLE_PREFIX}, or why
 * that is not possible: a page written for another tfjs version pins other URLs, and running it
 * against these bundles would verify something else.
 */
export function localizePage(html: string, bundles: readonly TfjsBundle[]): { ok: true; html: string } | { ok: false; reason: string } {
  let local = html;
  for (const bundle of bundles) {
    const tag = `<script src="${cdnUrl(bundle)}"></script>`;
    if (!local.includes(tag)) {
      const escaped = bundle.packageName.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      const pinned = new RegExp(`/npm/${escaped}@([^/"]+)/`).exec(html)?.[1];
      const what = pinned !== undefined ? `pins ${bundle.packageName}@${pinned}` : `does not load ${bundle.packageName}'s dist/${bundle.name}`;
      return { ok: false, reason: `the page ${what}, the tfjs under test has ${bundle.packageName}@${bundle.version}` };
    }
    local = local.split(tag).join(`<script src="${LOCAL_BUNDLE_PREFIX}${bundle.name}"></script>`);
  }
  return { ok: true, html: local };
}

function isPageResult(value: unknown): value is PageResult {
  if (typeof value !== 'object' || value === null) return false;
  const { exitCode, result } = value as Record<string, unknown>;
  return (exitCode === 0 || exitCode === 1 || exitCode === 2) && typeof result === 'string';
}

/** Reads what the page printed into its `<pre>`; empty when the page is gone. */
async function printed(page: Page): Promise<string> {
  try {
    return (await page.locator('#output').textContent({ timeout: 5_000 })) ?? '';
  } catch {
    return '';
  }
}

/**
 * Opens `html` (a page from `renderPageRepro`, render-page.ts) in headless Chromium on `backend` and returns
 * what it did, shaped like a Node verification (`mode: 'page'`): the exit code the page set, the
 * lines it printed (stdout), its console errors and warnings and uncaught errors (stderr). The
 * server, the browser and the page are closed on every path. Never throws for the environment: no
 * Chromium, missing bundles, a browser that does not start or a page that does not load are a
 * `setupError`; a crash or a page that sets no result in time is a `failure`. Never prints.
 */
export async function verifyPageRepro(html: string, backend: BrowserBackendName, options: PageVerifyOptions = {}): Promise<Verification> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_PAGE_TIMEOUT_MS;
  const elapsed = () => Math.round(performance.now() - started);
  const stderr: string[] = [];
  const record = (fields: Pick<Verification, 'exitCode' | 'stdout'> & Partial<Verification>): Verification => ({
    mode: 'page',
    signal: null,
    reproduces: false,
    stderr: stderr.join('\n'),
    ...fields,
    durationMs: elapsed(),
  });
  const notVerified = (reason: string): Verification => record({ exitCode: null, stdout: '', setupError: reason });

  const chromium = options.chromium ?? findChromium();
  if (!chromium.found) return notVerified(chromium.reason);
  const set = bundlesFor(backend, options.resolveTfjsFile ?? resolveTfjsFile);
  if (!set.ok) return notVerified(set.reason);
  const local = localizePage(html, set.bundles);
  if (!local.ok) return notVerified(local.reason);

  const routes = new Map<string, Served>([['/index.html', { text: local.html }], ...set.bundles.map((b): [string, Served] => [`${LOCAL_BUNDLE_PREFIX}${b.name}`, { file: b.file }])]);
  let server: StaticServer | null = null;
  let browser: Browser | null = null;
  try {
    server = await startStaticServer(routes);
    const origin = server.origin;
    try {
      browser = await (options.launch ?? launchChromium)(chromium.executable);
    } catch (error) {
      return notVerified(`Chromium (${chromium.executable}) did not start: ${firstLine(error)}`);
    }
    const context = await browser.newContext();
    // The page must run on the local bundles only: a request anywhere else is refused and said.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(`${origin}/`)) return route.continue();
      stderr.push(`[blocked] ${url} (verification runs offline)`);
      return route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') stderr.push(`[console.${message.type()}] ${message.text()}`);
    });
    page.on('pageerror', (error) => stderr.push(`[pageerror] ${error.message}`));
    const crashed = new Promise<'crash'>((resolve) => page.once('crash', () => resolve('crash')));

    try {
      await page.goto(`${origin}/index.html`, { waitUntil: 'load', timeout: timeoutMs });
    } catch (error) {
      return notVerified(`the page did not load: ${firstLine(error)}`);
    }
    const remaining = Math.max(1, timeoutMs - elapsed());
    const done = page
      .waitForFunction((name) => (globalThis as unknown as Record<string, unknown>)[name] !== undefined, PAGE_RESULT_GLOBAL, { timeout: remaining, polling: 100 })
      .then(() => 'done' as const)
      .catch((error: unknown) => ({ lost: firstLine(error) }));
    const outcome = await Promise.race([done, crashed]);
    const seconds = `${Math.round(timeoutMs / 1000)} s`;
    if (outcome === 'crash') return record({ exitCode: null, stdout: '', failure: 'the page crashed (renderer process gone)', browser: browser.version() });
    if (outcome !== 'done') {
      const failure = /timeout/i.test(outcome.lost) ? `no result within ${seconds}` : `the page was lost: ${outcome.lost}`;
      return record({ exitCode: null, stdout: await printed(page), failure, browser: browser.version() });
    }
    const result = await page.evaluate((name) => (globalThis as unknown as Record<string, unknown>)[name], PAGE_RESULT_GLOBAL);
    const stdout = await printed(page);
    if (!isPageResult(result)) {
      return record({ exitCode: null, stdout, failure: `the page set ${PAGE_RESULT_GLOBAL} to ${JSON.stringify(result)?.slice(0, 200)}, not { exitCode, result }`, browser: browser.version() });
    }
    return record({
      exitCode: result.exitCode,
      stdout,
      reproduces: result.exitCode === 1 && /^RESULT: reproduced$/m.test(stdout),
      browser: browser.version(),
    });
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
  }
}
