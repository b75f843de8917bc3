/**
 * The Node host's tfjs: the host project's own `@tensorflow/tfjs-core` and `-layers` (peer
 * dependencies), bound into the engine on first use.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TfjsVersions } from '../../engine/tfjs';
import { bindTfjs, isTfjsBound, tf, tfl } from '../../engine/tfjs';

/**
 * Binds the tfjs that Node resolves from bn-suite's location (the host project's) into the
 * engine, once. Idempotent.
 */
export function bindNodeTfjs(): void {
  if (isTfjsBound()) return;
  // Loaded here, not at module load, so that importing the library costs nothing until it runs.
  bindTfjs({ tf: require('@tensorflow/tfjs-core'), tfl: require('@tensorflow/tfjs-layers') });
}

/**
 * Reads a package's version from its package.json without loading the package itself, so asking
 * for the version of a backend never registers it. Returns undefined when the package is absent.
 */
export function installedVersion(packageName: string): string | undefined {
  try {
    // Resolving package.json (not the entry point) is cheap and has no side effects.
    const manifest = require(`${packageName}/package.json`) as { version?: string };
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
  for (const name of ['@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node'] as const) {
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
      entry = require.resolve(name);
    } catch {
      continue;
    }
    const files = [entry, ...fs.readdirSync(path.dirname(entry)).filter((f) => f.endsWith('.wasm')).sort().map((f) => path.join(path.dirname(entry), f))];
    for (const file of files) {
      hash.update(`${name}:${path.basename(file)}\0`);
      hash.update(fs.readFileSync(file));
    }
  }
  fingerprint = hash.digest('hex').slice(0, 16);
  return fingerprint;
}

export { tf, tfl };
