/** Names of the tfjs backends bn-suite knows how to load. `tensorflow` is tfjs-node's native backend. */
export const BACKEND_NAMES = ['cpu', 'wasm', 'tensorflow'] as const;

/** A backend bn-suite can load. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Why a backend cannot be used. */
export type UnavailableKind =
  /** The npm package is not installed. */
  | 'module-missing'
  /** The package is installed but its native library (tfjs_binding.node / libtensorflow) is not. */
  | 'native-addon-missing'
  /** The package loaded but the backend did not initialize or registered into another tfjs-core copy. */
  | 'init-failed';

/** Availability of one backend in this process, with the reason when it cannot be used. */
export type BackendStatus =
  | { name: BackendName; available: true; packageName: string; version?: string }
  | { name: BackendName; available: false; packageName: string; version?: string; kind: UnavailableKind; reason: string };

/** The npm package that provides each backend. */
export const BACKEND_PACKAGES: Record<BackendName, string> = {
  cpu: '@tensorflow/tfjs-backend-cpu',
  wasm: '@tensorflow/tfjs-backend-wasm',
  tensorflow: '@tensorflow/tfjs-node',
};

/**
 * Loads a module by specifier. Injected so tests can simulate a missing package or a package
 * whose native addon is absent without having either situation on the machine.
 */
export type ModuleLoader = (specifier: string) => unknown;
