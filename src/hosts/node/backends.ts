import type { ScenarioResult } from '../../engine/run/run-scenario';
import { bindNodeTfjs, requireTfjsPackage, tf } from './tfjs';
import { silenceTfjsBanner } from '../../engine/tfjs';
import { UsageError } from '../../engine/errors';
import { classifyLoadError } from './classify-load-error';
import { BACKEND_NAMES, BACKEND_PACKAGES, isBrowserBackend, NODE_BACKENDS, type BackendName, type BackendStatus, type ModuleLoader } from '../../engine/backends';

/**
 * Loads packages from this process's tfjs source: bn-suite's location (the host's node_modules), or
 * the version folder of a matrix child process.
 */
export const nodeRequireLoader: ModuleLoader = (specifier) => requireTfjsPackage(specifier);

function versionOf(loader: ModuleLoader, packageName: string): string | undefined {
  try {
    return (loader(`${packageName}/package.json`) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** Process events whose handlers a backend's emscripten glue installs, and which then exit the process (code 7). */
const CRASH_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

/**
 * Runs a backend's loading or initialisation so that it cannot take the process down, and undoes
 * the two things old tfjs-backend-wasm glue (1.x to 3.x emscripten) does to a Node process:
 * - it calls the global `fetch` with a file path when one exists (Node >= 18 has one), which fails
 *   with "Failed to parse URL"; hidden while the backend loads, the glue reads the file with `fs`;
 * - it installs `uncaughtException` / `unhandledRejection` handlers that end the process with exit
 *   code 7 on any later error, bn-suite's or tfjs's; those are removed again.
 * Exported for tests.
 */
export function guardBackendLoading<T>(load: () => T): T {
  // Typed loosely: Node's overloads do not accept a union of event names.
  const events = process as unknown as { listeners(event: string): unknown[]; removeListener(event: string, listener: unknown): void };
  const before = new Map(CRASH_EVENTS.map((event) => [event, new Set(events.listeners(event))]));
  const restore = () => {
    for (const event of CRASH_EVENTS) {
      for (const listener of events.listeners(event)) if (!before.get(event)?.has(listener)) events.removeListener(event, listener);
    }
  };
  const fetchDescriptor = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  if (fetchDescriptor?.configurable === true) delete (globalThis as { fetch?: unknown }).fetch;
  const putFetchBack = () => {
    if (fetchDescriptor?.configurable === true) Object.defineProperty(globalThis, 'fetch', fetchDescriptor);
  };
  let result: T;
  try {
    result = load();
  } catch (error) {
    putFetchBack();
    restore();
    throw error;
  }
  if (result instanceof Promise) {
    return result.finally(() => {
      putFetchBack();
      restore();
    }) as T;
  }
  putFetchBack();
  restore();
  return result;
}

/**
 * Loads one backend's package and checks that it registered into *this* tfjs-core (two copies of
 * tfjs-core each keep their own engine, so a backend registered in the other one is invisible).
 * Synchronous, so that test files can declare one `describe` per backend; initialization, which is
 * asynchronous for wasm, is {@link probeBackend}'s job. Never throws.
 */
export function probeBackendModule(name: BackendName, loader: ModuleLoader = nodeRequireLoader): BackendStatus {
  bindNodeTfjs();
  const packageName = BACKEND_PACKAGES[name];
  const version = versionOf(loader, packageName);
  try {
    guardBackendLoading(() => loader(packageName));
  } catch (error) {
    // tfjs 1.x has no tfjs-backend-cpu package: its cpu backend lives in tfjs-core and registers itself.
    if (name === 'cpu' && tf.findBackendFactory('cpu') != null) return { name, available: true, packageName: '@tensorflow/tfjs-core', version: tf.version_core };
    return { name, available: false, packageName, version, ...classifyLoadError(packageName, error) };
  }
  if (tf.findBackendFactory(name) == null) {
    return {
      name,
      available: false,
      packageName,
      version,
      kind: 'init-failed',
      reason: `${packageName}@${version ?? '?'} loaded but registered no '${name}' backend in @tensorflow/tfjs-core@${tf.version_core} (a second tfjs-core copy? align the versions)`,
    };
  }
  return { name, available: true, packageName, version };
}

/**
 * Loads one backend ({@link probeBackendModule}) and initializes it. Never throws: failure is a
 * status with its reason.
 */
export async function probeBackend(name: BackendName, loader: ModuleLoader = nodeRequireLoader): Promise<BackendStatus> {
  if (isBrowserBackend(name)) {
    // Loading tfjs-backend-webgl into Node would register a backend that cannot start here.
    return { name, available: false, packageName: BACKEND_PACKAGES[name], kind: 'init-failed', reason: `${name} runs in a browser page, not in this Node process (the browser host probes it)` };
  }
  const loaded = probeBackendModule(name, loader);
  if (!loaded.available) return loaded;
  const { packageName, version } = loaded;
  try {
    silenceTfjsBanner();
    const previous = safeCurrentBackend();
    const initialized = await guardBackendLoading(() => tf.setBackend(name));
    if (previous !== undefined && previous !== name) await tf.setBackend(previous);
    if (!initialized) {
      return { name, available: false, packageName, version, kind: 'init-failed', reason: `the '${name}' backend failed to initialize` };
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { name, available: false, packageName, version, kind: 'init-failed', reason: `the '${name}' backend failed to initialize: ${message}` };
  }
  return loaded;
}

function safeCurrentBackend(): string | undefined {
  // tf.getBackend() initializes a default backend when none is set; only ask when one is active.
  return tf.engine().backendName ?? undefined;
}

/** Probes Node backends in a fixed order (cpu, wasm, tensorflow). */
export async function probeBackends(loader: ModuleLoader = nodeRequireLoader, names: readonly BackendName[] = NODE_BACKENDS): Promise<BackendStatus[]> {
  const statuses: BackendStatus[] = [];
  for (const name of names) statuses.push(await probeBackend(name, loader));
  return statuses;
}

/**
 * The backends a request (`"cpu,wasm"`, `"all"`, undefined) names, in the registry's order, so that
 * only those are loaded: a request for cpu never loads (or crashes on) wasm. Unknown names are kept
 * out here and reported by {@link selectBackends}.
 */
export function backendsToProbe(request: string | undefined): BackendName[] {
  const spec = (request ?? 'all').trim();
  if (spec === '' || spec === 'all') return [...BACKEND_NAMES];
  const names = spec.split(',').map((part) => part.trim());
  return BACKEND_NAMES.filter((name) => names.includes(name));
}

/** Which backends a run uses, and the known backends it will not use because they cannot load. */
export interface BackendSelection {
  selected: BackendName[];
  unavailable: Extract<BackendStatus, { available: false }>[];
}

/**
 * Resolves a user's backend request (`"cpu,wasm"`, `"all"`, or undefined for all) against probed
 * statuses. Naming an unknown or unavailable backend is a usage error; "all" takes every available
 * backend and reports the rest with their reasons.
 */
export function selectBackends(request: string | undefined, statuses: readonly BackendStatus[]): BackendSelection {
  const unavailable = statuses.filter((s): s is Extract<BackendStatus, { available: false }> => !s.available);
  const spec = (request ?? 'all').trim();
  if (spec === '' || spec === 'all') {
    return { selected: statuses.filter((s) => s.available).map((s) => s.name), unavailable };
  }
  const names = spec.split(',').map((part) => part.trim()).filter((part) => part !== '');
  const selected: BackendName[] = [];
  for (const requested of names) {
    if (!(BACKEND_NAMES as readonly string[]).includes(requested)) {
      throw new UsageError(`unknown backend '${requested}'; allowed: ${BACKEND_NAMES.join(', ')}, all`);
    }
    const status = statuses.find((s) => s.name === requested);
    if (status === undefined || !status.available) {
      const reason = status !== undefined && !status.available ? status.reason : 'not probed';
      throw new UsageError(`backend '${requested}' is not available: ${reason}`);
    }
    if (!selected.includes(status.name)) selected.push(status.name);
  }
  return { selected, unavailable };
}

/** Makes `name` the active tfjs backend; the backend must have been probed as available. */
/**
 * Whether a result's throw was a WebAssembly trap (`RuntimeError: memory access out of bounds`,
 * `unreachable`, `Aborted`): the wasm module's memory may be corrupt afterwards, so every later job
 * on it would throw the same, which would be the trap's doing, not those scenarios' behaviour.
 */
export function isWasmTrap(result: Pick<ScenarioResult, 'backend' | 'status' | 'summary'>): boolean {
  return result.backend === 'wasm' && result.status === 'error' && /^RuntimeError: /.test(result.summary);
}

/** The fields of tfjs's Engine that `removeBackend` clears (stable from tfjs 1.x to 4.x). */
interface EngineInternals {
  registry: Record<string, unknown>;
  registryFactory: Record<string, { priority: number } | undefined>;
  backendName: string | null;
  backendInstance: unknown;
  pendingBackendInit: unknown;
}

/**
 * Gives a backend a fresh instance: the registered factory is registered again (with its priority),
 * so the next activation makes a new backend (for wasm, a new module with its own memory).
 */
export async function resetBackend(name: BackendName): Promise<void> {
  bindNodeTfjs();
  const factory = tf.findBackendFactory(name);
  if (factory === null || factory === undefined) return;
  const engine = tf.engine() as unknown as EngineInternals;
  const priority = engine.registryFactory[name]?.priority ?? 1;
  try {
    tf.removeBackend(name);
  } catch {
    // Disposing a trapped wasm backend touches its corrupt memory and throws: forget it the way
    // removeBackend would have (its tensors are lost with it).
    delete engine.registry[name];
    delete engine.registryFactory[name];
    if (engine.backendName === name) {
      engine.pendingBackendInit = null;
      engine.backendName = null;
      engine.backendInstance = null;
    }
  }
  tf.registerBackend(name, factory, priority);
  await activateBackend(name);
}

export async function activateBackend(name: BackendName): Promise<void> {
  bindNodeTfjs();
  // Called around every case: when the backend is already active there is nothing to wait for.
  if (tf.engine().backendName === name) return;
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend '${name}' failed to initialize`);
  await tf.ready();
}
