/**
 * The one place bn-suite imports TensorFlow.js from. tfjs-core, -layers and the backends are peer
 * dependencies: the suite tests the tfjs version of whichever project installed it.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export { tf, tfl };

/** Versions of the tfjs packages this process resolved, keyed by package name. */
export interface TfjsVersions {
  '@tensorflow/tfjs-core': string;
  '@tensorflow/tfjs-layers': string;
  '@tensorflow/tfjs-backend-cpu'?: string;
  '@tensorflow/tfjs-backend-wasm'?: string;
  '@tensorflow/tfjs-node'?: string;
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

/** The tfjs package versions installed next to bn-suite. */
export function tfjsVersions(): TfjsVersions {
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

/**
 * tfjs-core prints a "Hi, looks like you are running TensorFlow.js in Node.js" banner on the first
 * cpu tensor. It goes through tfjs's own `warn`, which production mode silences; bn-suite's output
 * (reports, JSON on stdout) must stay machine-readable, so we switch it on once.
 */
export function silenceTfjsBanner(): void {
  if (!tf.env().getBool('PROD')) tf.env().set('PROD', true);
}
