/**
 * Opens the hosts a run needs for the backends it asked for: the in-process Node host for cpu,
 * wasm and tensorflow, the browser host for webgl and webgpu, and one {@link Host} that sends each
 * job to the right one. Library code: never prints, never exits.
 *
 * @packageDocumentation
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { BACKEND_NAMES, BACKEND_PACKAGES, type BackendName, type BackendStatus } from '../engine/backends';
import type { ScenarioResult } from '../engine/run/run-scenario';
import type { Host, Job, JobEvent } from './host';
import { openBrowserHost, type BrowserHost, type BrowserHostOptions } from './browser/browser-host';
import { isBrowserBackend, type BrowserBackendName } from './browser/page-protocol';
import { probeBackends } from './node/backends';
import { inProcessHost } from './node/in-process-host';
import type { NodeHostOptions } from './node/services';
import { resolveTfjsFile } from './node/tfjs';

/** bn-suite's package root (this file is src/hosts/open-hosts.ts or dist/hosts/open-hosts.js). */
const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

/** Options of {@link openHosts}. */
export interface OpenHostsOptions extends NodeHostOptions {
  /** The backends to probe, in any order; reported in the registry's order. */
  backends: readonly BackendName[];
  /** Browser host settings (job timeout, a Chromium, a launcher): injected by tests and flags. */
  browser?: Partial<Pick<BrowserHostOptions, 'jobTimeoutMs' | 'chromium' | 'launch' | 'tfjsFlags'>>;
}

/** The hosts of a run, the probed backends, and how to close what was opened. */
export interface OpenedHosts {
  /** One status per probed backend, in the registry's order. */
  statuses: BackendStatus[];
  /** Runs every job where its backend lives. */
  host: Host;
  /** The browser host when a browser backend was asked for (for doctor and reports). */
  browser: BrowserHost | null;
  /** Closes the browser and its server. Idempotent. */
  close(): Promise<void>;
}

/**
 * A host that sends jobs on browser backends to `browser` and the rest to `node`, and returns the
 * results in job order. Node jobs run first, then browser jobs: each host runs its own jobs one at
 * a time, in order.
 */
export function routingHost(node: Host, browser: Host | null): Host {
  return {
    async run(jobs, onEvent) {
      const results: ScenarioResult[] = new Array(jobs.length);
      const groups: Array<[Host | null, number[]]> = [
        [node, jobs.flatMap((job, i) => (isBrowserBackend(job.backend) ? [] : [i]))],
        [browser, jobs.flatMap((job, i) => (isBrowserBackend(job.backend) ? [i] : []))],
      ];
      for (const [host, indices] of groups) {
        if (indices.length === 0) continue;
        if (host === null) throw new Error(`jobs on ${jobs[indices[0]].backend} but no browser host is open`);
        const forward = (event: JobEvent) => onEvent?.({ ...event, index: indices[event.index] });
        const part = await host.run(
          indices.map((i) => jobs[i] as Job),
          forward,
        );
        part.forEach((result, k) => {
          results[indices[k]] = result;
        });
      }
      return results;
    },
  };
}

/**
 * Probes the requested backends (Node ones in this process, browser ones in a started Chromium)
 * and opens the hosts that run them. A missing Chromium or a backend that does not load is a
 * status with its reason, never a throw.
 */
export async function openHosts(options: OpenHostsOptions): Promise<OpenedHosts> {
  const nodeNames = BACKEND_NAMES.filter((name) => options.backends.includes(name) && !isBrowserBackend(name));
  const browserNames = BACKEND_NAMES.filter((name): name is BrowserBackendName => options.backends.includes(name) && isBrowserBackend(name));
  const nodeStatuses = await probeBackends(undefined, nodeNames);
  const bnSuiteRequire = createRequire(path.join(PACKAGE_ROOT, 'package.json'));
  let browser: BrowserHost | null = null;
  let browserStatuses: BackendStatus[] = [];
  if (browserNames.length > 0) {
    try {
      browser = await openBrowserHost({
        backends: browserNames,
        resolveTfjsFile,
        packageRoot: PACKAGE_ROOT,
        mnistBrowserFile: bnSuiteRequire.resolve('mnist/dist/mnist.js'),
        ...options.browser,
      });
      browserStatuses = browser.statuses;
    } catch (error) {
      // bn-suite's own setup (an unbuilt page engine, a server that cannot listen): the browser
      // backends cannot run, which is said as their status; the Node backends still run.
      const reason = `bn-suite could not start its browser host: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`;
      browserStatuses = browserNames.map((name) => ({ name, available: false, packageName: BACKEND_PACKAGES[name], kind: 'init-failed', reason }));
    }
  }
  const byName = new Map<BackendName, BackendStatus>([...nodeStatuses, ...browserStatuses].map((s) => [s.name, s]));
  const statuses = BACKEND_NAMES.flatMap((name) => (byName.has(name) ? [byName.get(name) as BackendStatus] : []));
  const nodeOptions: NodeHostOptions = {
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    ...(options.onWarning !== undefined ? { onWarning: options.onWarning } : {}),
  };
  return {
    statuses,
    host: routingHost(inProcessHost(nodeOptions), browser),
    browser,
    close: async () => {
      await browser?.close();
    },
  };
}
