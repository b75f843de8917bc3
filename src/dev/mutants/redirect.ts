/**
 * Preload module (`node -r dist/dev/mutants/redirect.js ...`) for `npm run mutants`.
 *
 * When `BN_MUTANT_LAYERS_DIR` names a (patched) copy of the tfjs-layers package folder:
 * - `@tensorflow/tfjs-layers` and its subpaths resolve into that copy, whoever asks;
 * - every bare request made from inside the copy (`@tensorflow/tfjs-core`, ...) resolves from
 *   bn-suite's own node_modules, since the copy lives in a temp folder without one. tfjs-core is
 *   thus the one instance the suite and its backends use.
 * Without the variable it does nothing.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';

/** Environment variable naming the patched tfjs-layers package folder. */
export const MUTANT_LAYERS_ENV = 'BN_MUTANT_LAYERS_DIR';
const PACKAGE = '@tensorflow/tfjs-layers';
/** bn-suite's root (this file is dist/dev/mutants/redirect.js): where the copy's dependencies come from. */
const SUITE_ROOT = path.resolve(__dirname, '..', '..', '..');

type ResolveFilename = (this: unknown, request: string, parent: { filename?: string | null } | null | undefined, isMain: boolean, options?: unknown) => string;

function install(rawDir: string): void {
  if (!fs.existsSync(path.join(rawDir, 'package.json'))) throw new Error(`${MUTANT_LAYERS_ENV}=${rawDir}: no package.json there`);
  // Node records modules under their real path, so compare against the real path of the copy.
  const dir = fs.realpathSync(path.resolve(rawDir));
  const loader = Module as unknown as { _resolveFilename: ResolveFilename };
  const original = loader._resolveFilename;
  const insideCopy = (file: string | null | undefined) => typeof file === 'string' && file.startsWith(dir + path.sep);
  loader._resolveFilename = function (request, parent, isMain, options) {
    if (request === PACKAGE || request.startsWith(`${PACKAGE}/`)) {
      return original.call(this, path.join(dir, request.slice(PACKAGE.length)), parent, isMain);
    }
    if (insideCopy(parent?.filename) && !request.startsWith('.') && !path.isAbsolute(request)) {
      return original.call(this, request, parent, isMain, { paths: [SUITE_ROOT] });
    }
    return original.call(this, request, parent, isMain, options);
  };
}

const target = process.env[MUTANT_LAYERS_ENV];
if (target !== undefined && target !== '') install(target);
