/**
 * The browser repro: a self-contained `index.html` for a result on webgl or webgpu, the form tfjs
 * issues for GPU backends usually take. It loads the pinned tfjs UMD bundles from jsDelivr and runs
 * the same case as `repro.mjs` (the shared parts of render-script.ts) in the page.
 *
 * @packageDocumentation
 */
import type { BrowserBackendName } from '../../engine/backends';
import { reproParts, stringLiteral, type ReproParts, type ScriptInput } from './render-script';

/** The CDN the page loads tfjs from. */
export const CDN_ORIGIN = 'https://cdn.jsdelivr.net';

/** The global the page sets when it is done, read by the verifier (verify-page.ts). */
export const PAGE_RESULT_GLOBAL = 'BN_SUITE_REPRO';

/** What the page leaves in `window.BN_SUITE_REPRO`. */
export interface PageResult {
  /** 1: the behaviour reproduces; 0: it does not; 2: the script itself failed (as repro.mjs exits). */
  exitCode: 0 | 1 | 2;
  /** The RESULT line, e.g. `RESULT: reproduced` (also the page's title). */
  result: string;
}

/** One tfjs UMD bundle the page loads: a package, its exact version and the file in its `dist/`. */
export interface PageBundle {
  packageName: string;
  version: string;
  /** e.g. `tf-core.min.js`. */
  name: string;
}

/** The jsDelivr URL of a bundle, e.g. `https://cdn.jsdelivr.net/npm/@tensorflow/tfjs-core@4.22.0/dist/tf-core.min.js`. */
export function cdnUrl(bundle: PageBundle): string {
  return `${CDN_ORIGIN}/npm/${bundle.packageName}@${bundle.version}/dist/${bundle.name}`;
}

/** Everything {@link renderPageRepro} needs. */
export interface PageInput extends ScriptInput {
  backend: BrowserBackendName;
  /**
   * The bundles in load order (core, cpu, the backend, layers), with the versions of the tfjs
   * under test, as `bundlesFor` in src/hosts/browser/tfjs-bundles.ts lists them.
   */
  bundles: readonly PageBundle[];
}

/** `</script`, `<script` and `<!--` end or derail an inline script in an HTML parser. */
const UNSAFE_IN_SCRIPT = /<\/script|<script|<!--/i;

const VERSION = /^[0-9A-Za-z.+-]+$/;
const PACKAGE = /^@tensorflow\/[a-z0-9-]+$/;
const FILE = /^[a-z0-9.-]+\.js$/;

/** Checks a bundle before its names go into a URL attribute: they come from package manifests on disk. */
function assertPlainBundle(bundle: PageBundle): void {
  if (!PACKAGE.test(bundle.packageName) || !VERSION.test(bundle.version) || !FILE.test(bundle.name)) {
    throw new Error(`refusing to put bundle ${JSON.stringify(bundle)} into a script tag (unexpected characters in its package, version or file name)`);
  }
}

/** Lines that describe the GPU the backend runs on, printed in the header (a renderer string matters for GPU bugs). */
function gpuDescriptionLines(backend: BrowserBackendName): string[] {
  if (backend === 'webgl') {
    return [
      'async function gpuDescription() {',
      '  try {',
      "    const gl = document.createElement('canvas').getContext('webgl2');",
      "    if (gl === null) return 'no WebGL 2 context';",
      "    const info = gl.getExtension('WEBGL_debug_renderer_info');",
      "    const renderer = gl.getParameter(info !== null ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER);",
      "    return `WebGL 2 renderer ${renderer}; float32 render targets ${tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')}`;",
      '  } catch (error) {',
      '    return `GPU unknown (${error.message})`;',
      '  }',
      '}',
    ];
  }
  return [
    'async function gpuDescription() {',
    '  try {',
    '    const adapter = navigator.gpu ? await navigator.gpu.requestAdapter() : null;',
    "    if (adapter === null) return 'no WebGPU adapter';",
    '    const info = adapter.info || {};',
    "    const parts = [info.vendor, info.architecture, info.device, info.description].filter((part) => typeof part === 'string' && part !== '');",
    "    return `WebGPU adapter ${parts.length > 0 ? parts.join(' / ') : 'without info'}`;",
    '  } catch (error) {',
    '    return `GPU unknown (${error.message})`;',
    '  }',
    '}',
  ];
}

/**
 * Renders `index.html`: script tags for the pinned tfjs bundles from jsDelivr (core, cpu, the
 * backend, layers), then an inline script that does what `repro.mjs` does on
 * `tf.setBackend('<backend>')`, checks `tf.getBackend()` really is that backend, prints into a
 * `<pre>` and the console, and finally sets `window.BN_SUITE_REPRO = { exitCode, result }` (1:
 * reproduced, 0: not, 2: script error) and `document.title` to the RESULT line. Tensors are read
 * with `await tensor.data()` only. Scenario text enters only as escaped string literals, never as
 * markup. Throws a UsageError for an invariant without a template.
 */
export function renderPageRepro(input: PageInput): string {
  return renderReproPage(reproParts(input), input.backend, input.bundles);
}

/**
 * The page around a repro's parts (see {@link renderPageRepro}): the pinned script tags, the
 * printing, the backend check, `main()` with the parts' body, and the result in
 * `window.BN_SUITE_REPRO`. Shared by every kind of page repro (a property case's, a transfer
 * scenario's). Throws when a bundle name or the script would be unsafe in the page.
 */
export function renderReproPage(parts: ReproParts, backend: BrowserBackendName, bundles: readonly PageBundle[]): string {
  for (const bundle of bundles) assertPlainBundle(bundle);
  const script = [
    '// Standalone reproduction generated by bn-suite: open this page in a browser with a GPU backend.',
    '// window.BN_SUITE_REPRO.exitCode: 1 when the behaviour reproduces, 0 when it does not, 2 when the script itself failed.',
    ...parts.constants,
    '',
    ...parts.helpers,
    "const pre = document.getElementById('output');",
    'const log = (line) => {',
    '  console.log(line);',
    '  pre.textContent += `${line}\\n`;',
    '};',
    ...gpuDescriptionLines(backend),
    '',
    'async function main() {',
    "  if (typeof tf === 'undefined') throw new Error('the tfjs script tags did not load (no tf global): check the network');",
    "  const tfl = tf; // the UMD bundles put tfjs-layers' API on the same global as tfjs-core's",
    "  tf.enableProdMode(); // as bn-suite's page engine runs tfjs",
    ...parts.backendCheck,
    '  log(`tfjs-core ${tf.version_core}, tfjs-layers ${tf.version_layers}, backend ${tf.getBackend()}, ${await gpuDescription()}`);',
    '  log(`browser: ${navigator.userAgent}`);',
    '',
    ...parts.body,
    '}',
    '',
    ...parts.data,
    '',
    'const finish = (line, exitCode) => {',
    '  log(line);',
    '  document.title = line;',
    `  window[${stringLiteral(PAGE_RESULT_GLOBAL)}] = { exitCode, result: line };`,
    '};',
    'main().then(',
    "  (reproduced) => finish(`RESULT: ${reproduced ? 'reproduced' : 'not reproduced'}`, reproduced ? 1 : 0),",
    '  (error) => {',
    '    console.error(error);',
    '    pre.textContent += `${error && error.stack ? error.stack : String(error)}\\n`;',
    "    finish('RESULT: script error', 2);",
    '  },',
    ');',
  ].join('\n');
  // Defence in depth: every outside text went through stringLiteral, which escapes these; a
  // template line that ever contained one would otherwise end the script silently.
  const unsafe = UNSAFE_IN_SCRIPT.exec(script);
  if (unsafe !== null) throw new Error(`the page script contains ${JSON.stringify(unsafe[0])}, which would end the inline script early`);
  const tags = bundles.map((bundle) => `<script src="${cdnUrl(bundle)}"></script>`);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // No favicon request: a 404 would be a console error in a page that reports console errors.
    '<link rel="icon" href="data:,">',
    '<title>bn-suite repro: running</title>',
    '</head>',
    '<body>',
    '<pre id="output"></pre>',
    ...tags,
    '<script>',
    script,
    '</script>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
