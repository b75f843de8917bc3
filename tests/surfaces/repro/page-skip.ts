import type { BrowserBackendName } from '../../../src/engine/backends';
import { findChromium } from '../../../src/hosts/browser/chromium';
import { browserStatuses } from '../../helpers/browser-probe';

/**
 * Why page repros on `backend` cannot be tested here (no Chromium, or globalSetup's probe found
 * the backend unavailable), or null when they can. Without globalSetup's statuses only Chromium
 * is checked: a backend that then fails says so in the test.
 */
export function pageSkipReason(backend: BrowserBackendName): string | null {
  const chromium = findChromium();
  if (!chromium.found) return chromium.reason;
  const status = browserStatuses().find((s) => s.name === backend);
  if (status !== undefined && !status.available) return `${backend} unavailable (${status.kind}): ${status.reason}`;
  return null;
}
