/**
 * Names of the tfjs backends bn-suite knows how to load. `tensorflow` is tfjs-node's native
 * backend; `webgl` and `webgpu` run in a headless Chromium page (the browser host).
 */
export const BACKEND_NAMES = ['cpu', 'wasm', 'tensorflow', 'webgl', 'webgpu'] as const;

/** A backend bn-suite can load. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** The backends that run in a browser page rather than in Node. */
export const BROWSER_BACKENDS = ['webgl', 'webgpu'] as const satisfies readonly BackendName[];

/** One of {@link BROWSER_BACKENDS}. */
export type BrowserBackendName = (typeof BROWSER_BACKENDS)[number];

/** The backends that run in a Node process. */
export const NODE_BACKENDS = ['cpu', 'wasm', 'tensorflow'] as const satisfies readonly BackendName[];

/** True for a backend that runs in a browser page. */
export function isBrowserBackend(name: BackendName): name is BrowserBackendName {
  return (BROWSER_BACKENDS as readonly BackendName[]).includes(name);
}

/**
 * The backends a job on `backend` compares with (backend-parity), out of the run's `selected`
 * ones. A job can only switch to backends of its own realm: a Node job to the other Node backends,
 * a page job to the cpu backend its page loads (the same tfjs-backend-cpu kernels as Node's cpu),
 * which is the reference of every browser backend whether or not Node's cpu is in the run.
 */
export function comparedBackends(backend: BackendName, selected: readonly BackendName[]): BackendName[] {
  if (isBrowserBackend(backend)) return ['cpu'];
  return selected.filter((other) => other !== backend && !isBrowserBackend(other));
}

/**
 * Why a backend cannot be used:
 * - `module-missing`: the npm package is not installed;
 * - `native-addon-missing`: the package is installed but its native library (tfjs_binding.node /
 *   libtensorflow) is not;
 * - `init-failed`: the package loaded but the backend did not initialize, or registered into another
 *   tfjs-core copy;
 * - `browser-missing`: a browser backend, and no Chromium was found to run it in;
 * - `browser-failed`: Chromium was found but did not start, or its page did not load;
 * - `no-adapter`: the page has no GPU adapter or context for the backend (no WebGPU adapter, no WebGL 2).
 */
export const UNAVAILABLE_KINDS = ['module-missing', 'native-addon-missing', 'init-failed', 'browser-missing', 'browser-failed', 'no-adapter'] as const;

/** One of {@link UNAVAILABLE_KINDS}. */
export type UnavailableKind = (typeof UNAVAILABLE_KINDS)[number];

/**
 * Availability of one backend, with the reason when it cannot be used. `device` says what the
 * backend runs on where that matters (a browser backend: Chromium version, GL renderer or GPU
 * adapter, float precision).
 */
export type BackendStatus =
  | { name: BackendName; available: true; packageName: string; version?: string; device?: string }
  | { name: BackendName; available: false; packageName: string; version?: string; device?: string; kind: UnavailableKind; reason: string };

/** The npm package that provides each backend. */
export const BACKEND_PACKAGES: Record<BackendName, string> = {
  cpu: '@tensorflow/tfjs-backend-cpu',
  wasm: '@tensorflow/tfjs-backend-wasm',
  tensorflow: '@tensorflow/tfjs-node',
  webgl: '@tensorflow/tfjs-backend-webgl',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
};

/**
 * Loads a module by specifier. Injected so tests can simulate a missing package or a package
 * whose native addon is absent without having either situation on the machine.
 */
export type ModuleLoader = (specifier: string) => unknown;
