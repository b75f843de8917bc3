/**
 * The Node host's tfjs: by default the host project's own `@tensorflow/tfjs-core` and `-layers`
 * (peer dependencies), bound into the engine on first use; in a matrix child process, the copy
 * installed in that version's folder ({@link useTfjsFrom}).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { TfjsVersions } from '../../engine/tfjs';
import { bindTfjs, isTfjsBound, tf, tfl } from '../../engine/tfjs';

/**
 * Where this process takes tfjs packages from: a `require` whose resolution starts at bn-suite's
 * location (the host project's node_modules), or at a version folder. Every tfjs package the Node
 * host loads, versions or hashes goes through it, so one process never mixes two tfjs copies.
 */
let tfjsRequire: NodeJS.Require = require;
let tfjsFolder: string | null = null;

/**
 * Makes this process take every tfjs package from `folder` (a folder with a node_modules that
 * holds `@tensorflow/tfjs-core` and the rest, as `npm install --prefix folder` leaves it). Must be
 * called before anything binds tfjs.
 *
 * @throws Error when tfjs is already bound (a second tfjs-core in one process shares nothing).
 */
export function useTfjsFrom(folder: string): void {
  if (isTfjsBound()) throw new Error('useTfjsFrom: tfjs is already bound in this process');
  tfjsFolder = path.resolve(folder);
  tfjsRequire = folderRequire(tfjsFolder);
}

/**
 * A require that finds packages in `folder/node_modules` only. Node's own resolution would walk up
 * into the parent folders: a version folder inside a project (`.bn-suite-cache/tfjs/tfjs-1.7.4`)
 * that lacks a package (tfjs 1.x has no tfjs-backend-cpu) would then load the project's copy, and
 * with it a second tfjs-core. Packages inside the folder still resolve each other normally.
 */
function folderRequire(folder: string): NodeJS.Require {
  const base = createRequire(path.join(folder, 'package.json'));
  const local = (specifier: string): string => {
    const parts = specifier.split('/');
    const packageName = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
    const packageDir = path.join(folder, 'node_modules', ...packageName.split('/'));
    if (!fs.existsSync(packageDir)) {
      throw Object.assign(new Error(`Cannot find module '${specifier}' in ${path.join(folder, 'node_modules')}`), { code: 'MODULE_NOT_FOUND' });
    }
    return path.join(folder, 'node_modules', ...specifier.split('/'));
  };
  const load = ((specifier: string) => base(local(specifier))) as NodeJS.Require;
  load.resolve = ((specifier: string) => base.resolve(local(specifier))) as NodeJS.RequireResolve;
  return load;
}

/** The folder set by {@link useTfjsFrom}, or null for the host project's tfjs. */
export function tfjsSourceFolder(): string | null {
  return tfjsFolder;
}

/** Loads a package from the tfjs source of this process. */
export function requireTfjsPackage(specifier: string): unknown {
  return tfjsRequire(specifier);
}

/**
 * The path of a file inside a tfjs package of this process's source (`@tensorflow/tfjs-core/dist/tf-core.min.js`),
 * for hosts that serve the files rather than load them (the browser host).
 *
 * @throws Error with code MODULE_NOT_FOUND when the package or the file is absent
 */
export function resolveTfjsFile(specifier: string): string {
  return tfjsRequire.resolve(specifier);
}

/**
 * A resolver of files inside the tfjs packages of `folder` (a matrix version folder, see
 * {@link useTfjsFrom}), or of this process's source when `folder` is null; for the browser host,
 * which serves a version's bundles from the parent process.
 */
export function tfjsFileResolver(folder: string | null): (specifier: string) => string {
  if (folder === null) return resolveTfjsFile;
  const resolver = folderRequire(path.resolve(folder));
  return (specifier) => resolver.resolve(specifier);
}

/**
 * Binds the tfjs of this process's source (the host project's unless {@link useTfjsFrom} said
 * otherwise) into the engine, once. Idempotent.
 */
export function bindNodeTfjs(): void {
  if (isTfjsBound()) return;
  // Loaded here, not at module load, so that importing the library costs nothing until it runs.
  bindTfjs({ tf: tfjsRequire('@tensorflow/tfjs-core') as never, tfl: tfjsRequire('@tensorflow/tfjs-layers') as never });
}

/**
 * Reads a package's version from its package.json without loading the package itself, so asking
 * for the version of a backend never registers it. Returns undefined when the package is absent.
 */
export function installedVersion(packageName: string): string | undefined {
  try {
    // Resolving package.json (not the entry point) is cheap and has no side effects.
    const manifest = tfjsRequire(`${packageName}/package.json`) as { version?: string };
    return manifest.version;
  } catch {
    return undefined;
  }
}

/** The tfjs package versions installed next to bn-suite (binds tfjs when not yet bound). */
export function tfjsVersions(): TfjsVersions {
  bindNodeTfjs();
  const versions: TfjsVersions = {
    '@tensorflow/tfjs-core': tf.version_core,
    '@tensorflow/tfjs-layers': tfl.version_layers,
  };
  for (const name of ['@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgl', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-node'] as const) {
    const version = installedVersion(name);
    if (version !== undefined) versions[name] = version;
  }
  return versions;
}

let fingerprint: string | undefined;

/**
 * A content hash of the tfjs code in use: the entry bundles of every installed tfjs package and the
 * wasm binaries. Two builds of one version (a maintainer's patched tfjs) differ here while their
 * version strings agree. Computed once per process (a few MB of reading).
 */
export function tfjsFingerprint(): string {
  if (fingerprint !== undefined) return fingerprint;
  const hash = createHash('sha256');
  for (const name of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node']) {
    let entry: string;
    try {
      entry = tfjsRequire.resolve(name);
    } catch {
      continue;
    }
    // The wasm binaries sit next to the entry bundle, or in wasm-out/ (tfjs-backend-wasm 1.x).
    const folders = [path.dirname(entry), path.join(path.dirname(entry), '..', 'wasm-out')].filter((folder) => fs.existsSync(folder));
    const binaries = folders.flatMap((folder) => fs.readdirSync(folder).filter((f) => f.endsWith('.wasm')).sort().map((f) => path.join(folder, f)));
    const files = [entry, ...binaries];
    for (const file of files) {
      hash.update(`${name}:${path.basename(file)}\0`);
      hash.update(fs.readFileSync(file));
    }
  }
  fingerprint = hash.digest('hex').slice(0, 16);
  return fingerprint;
}

export { tf, tfl };
