/**
 * What the Node side of the browser host and the engine bundled into the page say to each other.
 * Plain JSON through `page.evaluate`: jobs go in, the same result records as in Node come back.
 *
 * @packageDocumentation
 */
import type { BrowserBackendName } from '../../engine/backends';
import type { Job } from '../../engine/run/job';
import type { ScenarioResult } from '../../engine/run/run-scenario';
import type { TfjsVersions } from '../../engine/tfjs';
import type { ChildFailure } from '../child/protocol';

export { BROWSER_BACKENDS, isBrowserBackend, type BrowserBackendName } from '../../engine/backends';

/** What the page is told once, before any job. */
export interface PageSetup {
  backend: BrowserBackendName;
  tfjs: TfjsVersions;
  /** Content hash of the tfjs bundles served to the page (part of cache keys). */
  tfjsFingerprint: string;
  /** tfjs flags to set before the backend starts (none by default: the page runs tfjs's own defaults). */
  flags?: Record<string, boolean | number>;
}

/** What the page found out about its backend and the GPU under it. */
export interface PageProbe {
  backend: BrowserBackendName;
  available: boolean;
  /** Why the backend cannot be used; set when `available` is false. */
  reason?: string;
  /** `tf.getBackend()` after asking for `backend`: tfjs falls back to cpu silently when a GPU backend fails. */
  active: string | null;
  /** WebGL `UNMASKED_RENDERER_WEBGL` (webgl), or the adapter's vendor / architecture / description (webgpu). */
  renderer: string | null;
  /**
   * Whether the backend computes in float32. webgl falls back to float16 textures where the GPU
   * cannot render to float32 (`WEBGL_RENDER_FLOAT32_ENABLED` false); webgpu is always float32.
   */
  float32: boolean;
  /** The tfjs flags that decide precision, as the page read them. */
  flags: Record<string, boolean | number | null>;
}

/** The page's answer to one job. */
export type PageJobReply = { ok: true; result: ScenarioResult } | { ok: false; failure: ChildFailure };

/** The global the engine bundle installs in the page. */
export interface PageEngine {
  setup(setup: PageSetup): Promise<PageProbe>;
  /**
   * Runs one job; resolves with its result (plain data, as the Node hosts return it), or with the
   * failure that stopped it (a usage error or a bn-suite fault: the error's class, which
   * `page.evaluate` would lose, decides the exit code).
   */
  runJob(job: Job): Promise<PageJobReply>;
  /** Number of live tensors in the page's tfjs engine. */
  numTensors(): number;
}

/** Name of the global that holds the {@link PageEngine}. */
export const PAGE_ENGINE_GLOBAL = 'bnSuitePage';
