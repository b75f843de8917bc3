import { backendsToProbe, guardBackendLoading, probeBackend, selectBackends } from '../../../src/hosts/node/backends';
import type { BackendStatus, ModuleLoader } from '../../../src/engine/backends';
import { UsageError } from '../../../src/engine/errors';

/** A loader for a machine where tfjs-node's package is present but its install script never ran. */
const nativeAddonMissing: ModuleLoader = (specifier) => {
  if (specifier === '@tensorflow/tfjs-node/package.json') return { version: '4.22.0' };
  if (specifier === '@tensorflow/tfjs-node') {
    throw new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: /n/lib/napi-v8/tfjs_binding.node.');
  }
  return require(specifier);
};

const packageMissing: ModuleLoader = (specifier) => {
  throw Object.assign(new Error(`Cannot find module '${specifier.replace('/package.json', '')}'`), { code: 'MODULE_NOT_FOUND' });
};

describe('probeBackend (injected loader, no tfjs-node needed)', () => {
  test('tensorflow with the package absent is module-missing', async () => {
    const status = await probeBackend('tensorflow', packageMissing);
    expect(status).toMatchObject({ name: 'tensorflow', available: false, kind: 'module-missing', version: undefined });
  });

  test('tensorflow with the package present but no native addon is native-addon-missing, with its version', async () => {
    const status = await probeBackend('tensorflow', nativeAddonMissing);
    expect(status).toMatchObject({ name: 'tensorflow', available: false, kind: 'native-addon-missing', version: '4.22.0' });
  });

  test('a package that loads but registers no backend in this tfjs-core is init-failed', async () => {
    const registersNothing: ModuleLoader = (specifier) => (specifier.endsWith('package.json') ? { version: '9.9.9' } : {});
    const status = await probeBackend('tensorflow', registersNothing);
    expect(status).toMatchObject({ available: false, kind: 'init-failed' });
    if (!status.available) expect(status.reason).toContain("registered no 'tensorflow' backend");
  });

  test('cpu loads for real', async () => {
    expect(await probeBackend('cpu')).toMatchObject({ name: 'cpu', available: true });
  });
});

describe('selectBackends', () => {
  const statuses: BackendStatus[] = [
    { name: 'cpu', available: true, packageName: 'c', version: '1' },
    { name: 'wasm', available: true, packageName: 'w', version: '1' },
    { name: 'tensorflow', available: false, packageName: 't', version: undefined, kind: 'module-missing', reason: 'not installed' },
  ];

  test('"all" (and no request) selects every available backend and lists the rest', () => {
    for (const request of ['all', undefined, '']) {
      const selection = selectBackends(request, statuses);
      expect(selection.selected).toEqual(['cpu', 'wasm']);
      expect(selection.unavailable.map((s) => s.name)).toEqual(['tensorflow']);
    }
  });

  test('a comma list keeps its order and drops duplicates', () => {
    expect(selectBackends('wasm, cpu,wasm', statuses).selected).toEqual(['wasm', 'cpu']);
  });

  test('an unknown backend is a usage error naming the allowed values', () => {
    expect(() => selectBackends('metal', statuses)).toThrow(new UsageError("unknown backend 'metal'; allowed: cpu, wasm, tensorflow, webgl, webgpu, all"));
  });

  test('an unavailable backend asked for by name is a usage error with its reason', () => {
    expect(() => selectBackends('cpu,tensorflow', statuses)).toThrow("backend 'tensorflow' is not available: not installed");
  });
});

describe('guardBackendLoading', () => {
  test('hides the global fetch while a backend loads and removes the crash handlers its glue installs', async () => {
    const listenersBefore = process.listeners('unhandledRejection').length;
    let fetchSeen: unknown = 'not called';
    const handler = () => undefined;
    await guardBackendLoading(async () => {
      fetchSeen = (globalThis as { fetch?: unknown }).fetch;
      process.on('unhandledRejection', handler);
      process.on('uncaughtException', handler);
    });
    expect(fetchSeen).toBeUndefined();
    expect(typeof globalThis.fetch).toBe('function');
    expect(process.listeners('unhandledRejection')).toHaveLength(listenersBefore);
    expect(process.listeners('uncaughtException')).not.toContain(handler);
  });

  test('puts everything back when loading throws, and keeps handlers that were there before', () => {
    const mine = () => undefined;
    process.on('uncaughtException', mine);
    const before = process.listeners('uncaughtException');
    try {
      expect(() =>
        guardBackendLoading(() => {
          process.on('uncaughtException', () => undefined);
          throw new Error('glue failed');
        }),
      ).toThrow('glue failed');
      expect(typeof globalThis.fetch).toBe('function');
      expect(process.listeners('uncaughtException')).toEqual(before);
    } finally {
      process.removeListener('uncaughtException', mine);
    }
  });
});

describe('backendsToProbe', () => {
  test('only the backends a request names are loaded; all (or nothing) means every known one', () => {
    expect(backendsToProbe('cpu')).toEqual(['cpu']);
    expect(backendsToProbe(' wasm , cpu ')).toEqual(['cpu', 'wasm']);
    expect(backendsToProbe(undefined)).toEqual(['cpu', 'wasm', 'tensorflow', 'webgl', 'webgpu']);
    expect(backendsToProbe('all')).toEqual(['cpu', 'wasm', 'tensorflow', 'webgl', 'webgpu']);
    // Unknown names are selectBackends' to report, with the allowed ones.
    expect(backendsToProbe('gpu')).toEqual([]);
    expect(() => selectBackends('gpu', [])).toThrow(/unknown backend 'gpu'/);
  });
});
