/**
 * Where a thrown error came from: tfjs (a kernel, a layer, fit, save/load) or bn-suite's own code.
 * Only a throw that tfjs raised can become an `error` verdict; anything bn-suite threw is a fault of
 * bn-suite, which must never be recorded as tfjs behaviour.
 *
 * Read from the innermost stack frame that is not Node's own: tfjs's frames live in its packages
 * (`node_modules/@tensorflow/...` in Node, `tfjs-core/src/...` once source-mapped, the `tf-*.js`
 * bundles in a page) or in its wasm module.
 *
 * @packageDocumentation
 */

/** Who raised an error. */
export type ErrorOrigin = 'tfjs' | 'bn-suite';

/**
 * A stack frame inside tfjs: its packages in Node, its sources once source-mapped (jest,
 * --enable-source-maps: `tfjs-core/src/...`), its `tf-*.js` bundles in a page, its wasm module.
 * Exported so that a repro script tells tfjs's throws from its own by the same rule.
 */
export const TFJS_FRAME = /[\\/]@tensorflow[\\/]|[\\/]tfjs-(?:core|layers|backend-[a-z]+|node|converter)[\\/]src[\\/]|[\\/]tf-(?:core|layers|backend-[a-z]+)(?:\.[a-z]+)*\.js|^wasm:\/\/|\(wasm:\/\//;
/** A frame of Node's or V8's own (skipped when looking for the innermost frame). */
export const NODE_FRAME = /\(node:|^node:|\(<anonymous>\)|^<anonymous>|\(native\)/;

/** The innermost frame of `error.stack` outside Node's internals, or null when there is none. */
export function innermostFrame(error: unknown): string | null {
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : '';
  for (const line of stack.split('\n')) {
    const frame = line.trim();
    if (!frame.startsWith('at ')) continue;
    const location = frame.slice(3);
    if (NODE_FRAME.test(location)) continue;
    return location;
  }
  return null;
}

/**
 * Classifies a thrown value. A throw without a usable stack (a string, an object) is bn-suite's:
 * tfjs throws Error instances, and blaming tfjs for what we cannot locate would be a guess.
 */
export function errorOrigin(error: unknown): ErrorOrigin {
  const frame = innermostFrame(error);
  return frame !== null && TFJS_FRAME.test(frame) ? 'tfjs' : 'bn-suite';
}
