import { bindNodeTfjs, tf } from './tfjs';
import { silenceTfjsBanner } from '../../engine/tfjs';
import { UsageError } from '../../engine/errors';
import { classifyLoadError } from './classify-load-error';
import { BACKEND_NAMES, BACKEND_PACKAGES, type BackendName, type BackendStatus, type ModuleLoader } from '../../engine/backends';

/** Loads packages with Node's own require, resolved from bn-suite's location (the host's node_modules). */
// A non-literal specifier keeps the type checker from requiring tfjs-node's types where it is absent.
export const nodeRequireLoader: ModuleLoader = (specifier) => require(specifier);

function versionOf(loader: ModuleLoader, packageName: string): string | undefined {
  try {
    return (loader(`${packageName}/package.json`) as { version?: string }).version;
  } catch {
    return undefined;
  }
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
    loader(packageName);
  } catch (error) {
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
  const loaded = probeBackendModule(name, loader);
  if (!loaded.available) return loaded;
  const { packageName, version } = loaded;
  try {
    silenceTfjsBanner();
    const previous = safeCurrentBackend();
    const initialized = await tf.setBackend(name);
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

/** Probes every known backend in a fixed order (cpu, wasm, tensorflow). */
export async function probeBackends(loader: ModuleLoader = nodeRequireLoader): Promise<BackendStatus[]> {
  const statuses: BackendStatus[] = [];
  for (const name of BACKEND_NAMES) statuses.push(await probeBackend(name, loader));
  return statuses;
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
export async function activateBackend(name: BackendName): Promise<void> {
  bindNodeTfjs();
  // Called around every case: when the backend is already active there is nothing to wait for.
  if (tf.engine().backendName === name) return;
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend '${name}' failed to initialize`);
  await tf.ready();
}
