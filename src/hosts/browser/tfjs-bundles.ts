/**
 * The tfjs UMD bundles a page loads, taken from the tfjs under test (the host project's packages,
 * or a matrix version's folder) so that the page runs exactly the tfjs the run reports.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { BACKEND_PACKAGES } from '../../engine/backends';
import type { TfjsVersions } from '../../engine/tfjs';
import type { BrowserBackendName } from './page-protocol';

/** One bundle: the package it belongs to and its file on disk. */
export interface TfjsBundle {
  packageName: string;
  version: string;
  /** The file's base name, e.g. `tf-core.min.js` (the URL it is served under). */
  name: string;
  file: string;
}

/** The bundles for one backend, in load order, or why they cannot be had. */
export type BundleSet = { ok: true; bundles: TfjsBundle[]; tfjs: TfjsVersions; fingerprint: string } | { ok: false; packageName: string; reason: string };

/** Resolves a file inside a tfjs package; throws when absent (injected for tests). */
export type FileResolver = (specifier: string) => string;

function bundleOf(resolve: FileResolver, packageName: string, name: string): TfjsBundle {
  const manifest = JSON.parse(fs.readFileSync(resolve(`${packageName}/package.json`), 'utf8')) as { version?: string };
  return { packageName, version: manifest.version ?? '?', name, file: resolve(`${packageName}/dist/${name}`) };
}

/**
 * The bundles a page needs for `backend`: core, cpu (the page's reference backend, and shared
 * kernels), the backend, layers, in the order the UMD globals require. Never throws: a package that
 * is not installed is a reason.
 */
export function bundlesFor(backend: BrowserBackendName, resolve: FileResolver): BundleSet {
  const wanted: Array<[string, string]> = [
    ['@tensorflow/tfjs-core', 'tf-core.min.js'],
    ['@tensorflow/tfjs-backend-cpu', 'tf-backend-cpu.min.js'],
    [BACKEND_PACKAGES[backend], `tf-backend-${backend}.min.js`],
    ['@tensorflow/tfjs-layers', 'tf-layers.min.js'],
  ];
  const bundles: TfjsBundle[] = [];
  for (const [packageName, name] of wanted) {
    try {
      bundles.push(bundleOf(resolve, packageName, name));
    } catch {
      return { ok: false, packageName, reason: `${packageName} (dist/${name}) is not installed (npm i -D ${packageName}@<your tfjs-core version>)` };
    }
  }
  const tfjs = Object.fromEntries(bundles.map((b) => [b.packageName, b.version])) as unknown as TfjsVersions;
  const hash = createHash('sha256');
  for (const b of bundles) {
    hash.update(`${b.packageName}:${b.name}\0`);
    hash.update(fs.readFileSync(b.file));
  }
  return { ok: true, bundles, tfjs, fingerprint: hash.digest('hex').slice(0, 16) };
}
