/**
 * `bn-suite matrix` as a library function: the shipped (or given) scenarios on several tfjs
 * versions side by side, one child process per version, in parallel up to the number of cores.
 * Returns data; prints nothing.
 *
 * @packageDocumentation
 */
import * as os from 'node:os';
import * as path from 'node:path';
import semver from 'semver';
import { BACKEND_NAMES, isBrowserBackend, NODE_BACKENDS, type BackendName, type BrowserBackendName } from '../../engine/backends';
import { openBrowserHost, type BrowserHost } from '../../hosts/browser/browser-host';
import { ensureBrowserBundles } from '../../hosts/child/tfjs-install';
import { tfjsFileResolver } from '../../hosts/node/tfjs';
import { routingHost } from '../../hosts/open-hosts';
import { PACKAGE_ROOT } from '../paths';
import { HarnessError, UsageError } from '../../engine/errors';
import type { KnownIssue } from '../../engine/expectations/known-issues';
import type { LoadedScenario } from '../../engine/scenarios/types';
import { childProcessHost } from '../../hosts/child/child-process-host';
import { ensureTfjsInstalled, systemNpm, type NpmRunner } from '../../hosts/child/tfjs-install';
import { DEFAULT_CACHE_DIR } from '../../hosts/node/base-cache';
import { runSuite } from '../../hosts/node/run-suite';
import { MATRIX_FORMAT_VERSION, type MatrixColumn, type MatrixResult } from '../../results/matrix-schema';

/** The column that means "the host project's own tfjs". */
export const INSTALLED = 'installed';

/** Options of {@link runMatrix}. */
export interface MatrixOptions {
  /** Exact versions (`3.21.0`) and/or {@link INSTALLED}, in column order. */
  versions: readonly string[];
  /** Backends to ask every version for (default: all known ones; the unavailable are reported). */
  backends?: readonly BackendName[];
  scenarios: readonly LoadedScenario[];
  knownIssues: readonly KnownIssue[];
  seed: number;
  runs: number;
  /** Folder of the per-version tfjs installs (default `.bn-suite-cache/tfjs`). */
  tfjsCacheDir?: string;
  /** Folder of the pre-trained-base cache. */
  cacheDir?: string;
  /** Versions run at once (default: the number of cores). */
  parallel?: number;
  npm?: NpmRunner;
  /** Throw a UsageError, before running anything, when npm does not know a version (the gate). */
  refuseUnknownVersions?: boolean;
  onColumn?: (column: MatrixColumn, index: number) => void;
  onWarning?: (message: string) => void;
}

/**
 * Refuses an empty or duplicated version list, and anything that is neither an exact version nor
 * {@link INSTALLED}, before anything is installed or run.
 */
export function checkVersionList(versions: readonly string[]): void {
  if (versions.length === 0) throw new UsageError('--tfjs: give at least one version (e.g. 3.21.0,4.22.0,installed)');
  const seen = new Set<string>();
  for (const version of versions) {
    if (seen.has(version)) throw new UsageError(`--tfjs: ${version} is listed twice`);
    if (version !== INSTALLED && semver.valid(version) === null) throw new UsageError(`--tfjs: '${version}' is not an exact version (such as 3.21.0) or ${INSTALLED}`);
    seen.add(version);
  }
}

/** npm's words for a version or package that does not exist: the user's input, not our environment. */
const UNKNOWN_VERSION = /E404|ETARGET|No matching version|is not in this registry|not an exact version/i;

/** A version's folder after the install phase ('' for the host project's tfjs), or its failed column. */
type Prepared = { folder: string; install: { reused: boolean; durationMs: number } | null } | MatrixColumn;

async function prepareColumn(requested: string, options: MatrixOptions): Promise<Prepared> {
  if (requested === INSTALLED) return { folder: '', install: null };
  const installed = await ensureTfjsInstalled(requested, options.tfjsCacheDir ?? path.join(DEFAULT_CACHE_DIR, 'tfjs'), options.npm ?? systemNpm);
  if (!installed.ok) {
    const unknownVersion = UNKNOWN_VERSION.test(installed.reason);
    const reason = unknownVersion ? `tfjs ${requested} is not on the registry (${installed.reason})` : installed.reason;
    return { requested, status: 'not-installed', reason, unknownVersion };
  }
  return { folder: installed.folder, install: { reused: installed.reused, durationMs: installed.durationMs } };
}

/** Opens the browser host of a column for the browser backends asked for, with that version's bundles. */
async function columnBrowserHost(requested: string, folder: string, backends: readonly BrowserBackendName[], options: MatrixOptions): Promise<BrowserHost | null> {
  if (backends.length === 0) return null;
  const resolveTfjsFileFor: Partial<Record<BrowserBackendName, (specifier: string) => string>> = {};
  const unavailable: Partial<Record<BrowserBackendName, string>> = {};
  if (folder !== '') {
    for (const backend of backends) {
      const bundles = await ensureBrowserBundles(requested, backend, options.tfjsCacheDir ?? path.join(DEFAULT_CACHE_DIR, 'tfjs'), options.npm ?? systemNpm);
      if (bundles.ok) resolveTfjsFileFor[backend] = tfjsFileResolver(bundles.folder);
      else unavailable[backend] = bundles.reason;
    }
  }
  return openBrowserHost({
    backends,
    resolveTfjsFile: tfjsFileResolver(null),
    resolveTfjsFileFor,
    unavailable,
    packageRoot: PACKAGE_ROOT,
    mnistBrowserFile: require.resolve('mnist/dist/mnist.js'),
  });
}

async function runColumn(requested: string, prepared: Extract<Prepared, { folder: string }>, options: MatrixOptions): Promise<MatrixColumn> {
  const started = performance.now();
  const { folder, install } = prepared;
  const asked = options.backends ?? NODE_BACKENDS;
  const host = childProcessHost({
    tfjsFolder: folder,
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    ...(options.onWarning !== undefined ? { onWarning: (message) => options.onWarning?.(`${requested}: ${message}`) } : {}),
  });
  let browser: BrowserHost | null = null;
  try {
    const probe = await host.probe(asked.filter((name) => !isBrowserBackend(name)));
    browser = await columnBrowserHost(requested, folder, asked.filter(isBrowserBackend), options);
    const statuses = BACKEND_NAMES.flatMap((name) => [...probe.statuses, ...(browser?.statuses ?? [])].filter((s) => s.name === name));
    const available = statuses.filter((s) => s.available).map((s) => s.name);
    if (available.length === 0) {
      return { requested, status: 'harness-failed', reason: `no backend loads on this version: ${statuses.map((s) => (s.available ? s.name : `${s.name}: ${s.reason}`)).join('; ')}` };
    }
    const suite = await runSuite({
      scenarios: options.scenarios,
      backends: available,
      backendStatuses: statuses,
      knownIssues: options.knownIssues,
      seed: options.seed,
      runs: options.runs,
      host: routingHost(host, browser),
      tfjs: probe.tfjs,
    });
    return { requested, status: 'ran', install, wallMs: Math.round(performance.now() - started), suite };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (error instanceof HarnessError) return { requested, status: 'harness-failed', reason: error.message.split('\n')[0] };
    throw error;
  } finally {
    await browser?.close();
    await host.close();
  }
}

/**
 * Runs the scenarios on every requested tfjs version. A version that cannot be installed or whose
 * child process fails is a column with its reason; the others still run.
 *
 * @throws UsageError for an empty or duplicated version list
 */
export async function runMatrix(options: MatrixOptions): Promise<MatrixResult> {
  checkVersionList(options.versions);
  const startedAt = new Date();
  const started = performance.now();
  const parallel = Math.max(1, Math.min(options.parallel ?? os.availableParallelism(), options.versions.length));
  // A fixed pool of workers, each taking the next item: at most `parallel` at once.
  const inPool = async <T>(count: number, work: (index: number) => Promise<T>): Promise<T[]> => {
    const out: T[] = new Array(count);
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const index = next++;
        out[index] = await work(index);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
    return out;
  };
  // Installs first: a version npm does not know is found before anything runs.
  const prepared = await inPool(options.versions.length, (index) => prepareColumn(options.versions[index], options));
  if (options.refuseUnknownVersions) {
    const unknown = prepared.filter((p): p is Extract<MatrixColumn, { status: 'not-installed' }> => 'status' in p && p.status === 'not-installed' && p.unknownVersion);
    if (unknown.length > 0) throw new UsageError(unknown.map((c) => c.reason).join('; '));
  }
  const columns = await inPool(options.versions.length, async (index) => {
    const p = prepared[index];
    const column = 'folder' in p ? await runColumn(options.versions[index], p, options) : p;
    options.onColumn?.(column, index);
    return column;
  });
  return {
    format: 'bn-suite-matrix',
    formatVersion: MATRIX_FORMAT_VERSION,
    seed: options.seed,
    runs: options.runs,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    parallel,
    columns,
  };
}
