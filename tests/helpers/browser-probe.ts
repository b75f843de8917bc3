/**
 * jest globalSetup: probes webgl and webgpu once per `npm test` (one Chromium start) and hands
 * the statuses to the test files through the environment, so that their `describe` blocks, which
 * are declared synchronously, know which browser backends run and why the others do not.
 */
import { BROWSER_BACKENDS, type BackendStatus } from '../../src/engine/backends';
import { openHosts } from '../../src/hosts/open-hosts';

/** The environment variable that carries the probed statuses (JSON) to the test workers. */
export const BROWSER_STATUSES_ENV = 'BN_SUITE_BROWSER_STATUSES';

/** The browser backends' statuses as globalSetup probed them (empty when it did not run). */
export function browserStatuses(): BackendStatus[] {
  const raw = process.env[BROWSER_STATUSES_ENV];
  return raw === undefined || raw === '' ? [] : (JSON.parse(raw) as BackendStatus[]);
}

export default async function probeBrowserBackends(): Promise<void> {
  const hosts = await openHosts({ backends: BROWSER_BACKENDS });
  try {
    process.env[BROWSER_STATUSES_ENV] = JSON.stringify(hosts.statuses);
  } finally {
    await hosts.close();
  }
}
