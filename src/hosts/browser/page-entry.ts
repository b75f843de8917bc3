/**
 * The engine as it runs in a browser page: bundled by esbuild into one script
 * (`dist/hosts/browser/page-engine.js`), loaded after the tfjs UMD bundles, which it binds from the
 * `tf` global. It installs {@link PageEngine} as `globalThis.bnSuitePage`; the Node side of the
 * browser host drives it through `page.evaluate`. No Node module is reachable from here.
 *
 * @packageDocumentation
 */
import type { BackendName } from '../../engine/backends';
import type { HostServices, ModelStore } from '../../engine/host-services';
import { UsageError } from '../../engine/errors';
import { memoryModelCache } from '../../engine/memory-model-cache';
import { runJob } from '../../engine/run/job';
import { bindTfjs, tf, tfl, type TfCoreApi, type TfLayersApi } from '../../engine/tfjs';
import { PAGE_ENGINE_GLOBAL, type BrowserBackendName, type PageEngine, type PageProbe, type PageSetup } from './page-protocol';

/** The browser globals the page engine reads; typed here because bn-suite compiles without the DOM library. */
interface PageGlobals {
  tf?: TfCoreApi & TfLayersApi;
  navigator?: { gpu?: { requestAdapter(): Promise<GpuAdapter | null> } };
  document?: { createElement(tag: 'canvas'): { getContext(kind: 'webgl2'): WebGl2 | null } };
}
interface GpuAdapter {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
}
interface WebGl2 {
  getExtension(name: 'WEBGL_debug_renderer_info'): { UNMASKED_RENDERER_WEBGL: number } | null;
  getParameter(parameter: number): unknown;
  RENDERER: number;
}

const page = globalThis as unknown as PageGlobals & Record<string, unknown>;

/** Flags that decide what a GPU backend computes in; read as the page sees them. */
const PRECISION_FLAGS: Record<BrowserBackendName, readonly string[]> = {
  webgl: ['WEBGL_VERSION', 'WEBGL_RENDER_FLOAT32_CAPABLE', 'WEBGL_RENDER_FLOAT32_ENABLED', 'WEBGL_FORCE_F16_TEXTURES', 'WEBGL_PACK', 'WEBGL_USE_SHAPES_UNIFORMS'],
  webgpu: ['WEBGPU_CPU_FORWARD', 'WEBGPU_USE_GLSL'],
};

function readFlag(name: string): boolean | number | null {
  try {
    const value = tf.env().get(name);
    return typeof value === 'boolean' || typeof value === 'number' ? value : null;
  } catch {
    // An older tfjs does not register every flag: absent, not an error.
    return null;
  }
}

function webglRenderer(): string | null {
  const gl = page.document?.createElement('canvas').getContext('webgl2') ?? null;
  if (gl === null) return null;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = gl.getParameter(info !== null ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
  return typeof renderer === 'string' ? renderer : null;
}

async function webgpuAdapter(): Promise<string | null> {
  const adapter = (await page.navigator?.gpu?.requestAdapter()) ?? null;
  if (adapter === null) return null;
  const info = adapter.info ?? {};
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((part): part is string => typeof part === 'string' && part !== '');
  return parts.length > 0 ? parts.join(' / ') : 'adapter without info';
}

/** IndexedDB round trips: the page's persistent model store. */
const indexedDbStore: ModelStore = {
  via: 'indexeddb',
  async roundTrip(model) {
    const url = `indexeddb://bn-suite-round-trip-${Date.now()}-${Math.floor(performance.now() * 1000)}`;
    await model.save(url);
    try {
      return await tfl.loadLayersModel(url);
    } finally {
      await tf.io.removeModel(url).catch(() => undefined);
    }
  },
};

let services: HostServices | null = null;
let pageBackend: BrowserBackendName | null = null;
/** Backends this page can switch to: its own and the cpu backend the bundles bring (the same kernels as Node's cpu). */
let pageBackends: BackendName[] = [];

async function activate(backend: BackendName): Promise<void> {
  if (!pageBackends.includes(backend)) throw new Error(`backend '${backend}' is not loaded in this page (it has ${pageBackends.join(', ')})`);
  if (tf.getBackend() === backend) return;
  const ok = await tf.setBackend(backend);
  if (!ok || tf.getBackend() !== backend) throw new Error(`backend '${backend}' failed to initialize in the page`);
  await tf.ready();
}

async function setup(request: PageSetup): Promise<PageProbe> {
  const globalTf = page.tf;
  if (globalTf === undefined) throw new Error('the tfjs bundles did not define the `tf` global before the bn-suite page engine loaded');
  bindTfjs({ tf: globalTf, tfl: globalTf });
  const backend = request.backend;
  const renderer = backend === 'webgl' ? webglRenderer() : await webgpuAdapter();
  const flags = (): Record<string, boolean | number | null> => Object.fromEntries(PRECISION_FLAGS[backend].map((flag) => [flag, readFlag(flag)]));
  const unavailable = (reason: string): PageProbe => ({ backend, available: false, reason, active: tf.engine().backendName ?? null, renderer, float32: false, flags: flags() });
  if (tf.findBackendFactory(backend) == null) return unavailable(`the ${backend} bundle registered no '${backend}' backend in tfjs-core ${tf.version_core}`);
  if (renderer === null) return unavailable(backend === 'webgl' ? 'the page has no WebGL 2 context' : 'navigator.gpu.requestAdapter() found no adapter');
  let ok = false;
  try {
    // An older tfjs that does not know a flag throws here: that is the backend's init failing.
    for (const [flag, value] of Object.entries(request.flags ?? {})) tf.env().set(flag, value);
    ok = await tf.setBackend(backend);
    await tf.ready();
  } catch (error) {
    return unavailable(`the '${backend}' backend failed to initialize: ${error instanceof Error ? error.message : String(error)}`);
  }
  // tfjs falls back to another backend quietly when a GPU backend cannot start.
  if (!ok || tf.getBackend() !== backend) return unavailable(`the '${backend}' backend failed to initialize (tfjs is on '${tf.getBackend()}')`);
  // As in Node (engine/tfjs.ts silenceTfjsBanner); only now: in production mode tfjs would keep the
  // reason a backend failed to initialize, which it logs as a warning, off the console.
  tf.env().set('PROD', true);
  pageBackend = backend;
  pageBackends = [backend, ...(tf.findBackendFactory('cpu') != null ? (['cpu'] as const) : [])];
  services = {
    activate,
    tfjs: request.tfjs,
    tfjsFingerprint: request.tfjsFingerprint,
    modelStore: indexedDbStore,
    modelCache: memoryModelCache(),
  };
  const read = flags();
  const float32 = backend === 'webgpu' ? true : read.WEBGL_RENDER_FLOAT32_ENABLED === true && read.WEBGL_FORCE_F16_TEXTURES !== true;
  return { backend, available: true, active: tf.getBackend(), renderer, float32, flags: read };
}

const engine: PageEngine = {
  setup,
  async runJob(job) {
    if (services === null || pageBackend === null) throw new Error('runJob before setup');
    if (job.backend !== pageBackend) throw new Error(`this page runs '${pageBackend}', not '${job.backend}'`);
    const host = services;
    await activate(job.backend);
    const otherBackends = job.otherBackends.filter((name) => name !== job.backend && pageBackends.includes(name));
    try {
      return { ok: true, result: await runJob(job, { backend: job.backend, otherBackends, activate: host.activate, host }) };
    } catch (error) {
      const kind = error instanceof UsageError ? 'usage' : 'harness';
      if (!(error instanceof Error)) return { ok: false, failure: { kind, message: String(error) } };
      return { ok: false, failure: { kind, message: error.message, ...(error.stack !== undefined ? { stack: error.stack } : {}) } };
    }
  },
  numTensors: () => tf.memory().numTensors,
};

page[PAGE_ENGINE_GLOBAL] = engine;
