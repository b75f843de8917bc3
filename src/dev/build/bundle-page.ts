/**
 * Build step: bundles the engine for a browser page (`src/hosts/browser/page-entry.ts`) into
 * `dist/hosts/browser/page-engine.js` with esbuild. Run by `npm run build` after tsc, so the
 * packed tarball ships the bundle and the browser host never needs esbuild at run time.
 *
 * @packageDocumentation
 */
import * as path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { PAGE_ENGINE_FILE } from '../../hosts/browser/page-files';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * The `mnist` package is 21 MB of digits: the page does not carry it in the engine bundle but loads
 * the package's own browser build (`window.mnist`) before the first transfer job.
 */
const mnistFromPage: Plugin = {
  name: 'mnist-from-page',
  setup(builder) {
    builder.onResolve({ filter: /^mnist$/ }, () => ({ path: 'mnist', namespace: 'bn-suite-page' }));
    builder.onLoad({ filter: /^mnist$/, namespace: 'bn-suite-page' }, () => ({
      contents:
        "if (globalThis.mnist === undefined) throw new Error('the page did not load the mnist digits before a transfer job');\nmodule.exports = globalThis.mnist;",
      loader: 'js',
    }));
  },
};

async function main(): Promise<void> {
  const outfile = path.join(ROOT, PAGE_ENGINE_FILE);
  const result = await build({
    entryPoints: [path.join(ROOT, 'src', 'hosts', 'browser', 'page-entry.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome110',
    outfile,
    plugins: [mnistFromPage],
    // Unminified: error origin is read from stack frames (page-engine.js is bn-suite, tf-*.js is tfjs),
    // and a reader of a page error wants names.
    minify: false,
    logLevel: 'warning',
    metafile: true,
  });
  const nodeOnly = Object.keys(result.metafile.inputs).filter((input) => /^node:|[\\/](fs|child_process)[\\/]/.test(input));
  if (nodeOnly.length > 0) throw new Error(`the page engine pulls in Node modules: ${nodeOnly.join(', ')}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bundle-page: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
