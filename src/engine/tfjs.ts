/**
 * The tfjs the engine runs on, injected by its host.
 *
 * The engine never imports `@tensorflow/*` for its own use: the Node host binds the host project's
 * tfjs, a child process binds the tfjs version it was started for, a browser page binds the UMD
 * globals. One binding per JavaScript realm is not a simplification of ours: tfjs itself keeps one
 * global engine per realm, so two tfjs-core copies cannot run side by side in one process anyway.
 *
 * `tf` and `tfl` are live bindings: modules read them at call time, after the host has bound them.
 *
 * @packageDocumentation
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as TfLayers from '@tensorflow/tfjs-layers';

/** The tfjs-core namespace (`import * as tf from '@tensorflow/tfjs-core'`, or `window.tf`). */
export type TfCoreApi = typeof TfCore;
/** The tfjs-layers namespace (`import * as tfl from '@tensorflow/tfjs-layers'`, or `window.tf`). */
export type TfLayersApi = typeof TfLayers;

/** What a host hands the engine. */
export interface TfjsBinding {
  tf: TfCoreApi;
  tfl: TfLayersApi;
}

/** Versions of the tfjs packages the engine runs on, keyed by package name. */
export interface TfjsVersions {
  '@tensorflow/tfjs-core': string;
  '@tensorflow/tfjs-layers': string;
  '@tensorflow/tfjs-backend-cpu'?: string;
  '@tensorflow/tfjs-backend-wasm'?: string;
  '@tensorflow/tfjs-backend-webgl'?: string;
  '@tensorflow/tfjs-backend-webgpu'?: string;
  '@tensorflow/tfjs-node'?: string;
}

/** Thrown when engine code runs before a host bound tfjs: a bn-suite fault, never a tfjs verdict. */
export class TfjsNotBoundError extends Error {
  override name = 'TfjsNotBoundError';
}

function unbound<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get(_target, property) {
      throw new TfjsNotBoundError(`the bn-suite engine used ${what}.${String(property)} before a host bound tfjs (call bindTfjs first)`);
    },
  });
}

/** tfjs-core as bound by the host. */
export let tf: TfCoreApi = unbound<TfCoreApi>('tf');
/** tfjs-layers as bound by the host. */
export let tfl: TfLayersApi = unbound<TfLayersApi>('tfl');
let bound = false;

/** Binds the tfjs the engine runs on; a host calls it once before running jobs. */
export function bindTfjs(binding: TfjsBinding): void {
  tf = binding.tf;
  tfl = binding.tfl;
  bound = true;
}

/** True once a host bound tfjs. */
export function isTfjsBound(): boolean {
  return bound;
}

/**
 * tfjs-core prints a "Hi, looks like you are running TensorFlow.js in Node.js" banner on the first
 * cpu tensor. It goes through tfjs's own `warn`, which production mode silences; bn-suite's output
 * (reports, JSON on stdout) must stay machine-readable, so we switch it on once.
 */
export function silenceTfjsBanner(): void {
  if (!tf.env().getBool('PROD')) tf.env().set('PROD', true);
}
