/**
 * Frees the tensors tfjs 4.22 leaves behind when training throws half-way, e.g. on a backend that
 * lacks a gradient kernel (wasm has no Conv2DBackpropFilter):
 *
 * - tfjs-core `engine.gradients` disposes the tensors its tape saved for the backward pass only
 *   after a successful backward pass; when a gradient kernel throws they stay alive (50 tensors
 *   for the conv base's first step);
 * - tfjs-layers `fitLoop` creates the epoch's shuffled index tensor outside any tidy and disposes
 *   it at the end of the epoch, which a throw skips (1 tensor).
 *
 * @packageDocumentation
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../../tfjs';

/** The part of tfjs-core's engine state that holds the gradient tape (not in the public types). */
interface TapeState {
  activeTape: Array<{ saved?: Tensor[] }> | null;
  gradientDepth: number;
}

/**
 * Disposes the saved tensors of a gradient tape that a failed backward pass abandoned, exactly as
 * `engine.gradients` would have after success. Does nothing while a gradient computation is
 * running (gradientDepth > 0), where the tape is still in use.
 */
export function releaseAbandonedTape(): number {
  const state = tf.engine().state as unknown as TapeState;
  if (state.gradientDepth !== 0 || state.activeTape == null) return 0;
  let released = 0;
  for (const node of state.activeTape) {
    for (const tensor of node.saved ?? []) {
      if (!tensor.isDisposed) {
        tensor.dispose();
        released++;
      }
    }
  }
  state.activeTape = null;
  return released;
}

/**
 * Runs asynchronous training code (model.fit) inside an engine scope. On success the scope ends as
 * tidy would (fit leaves nothing alive in it, so nothing is freed). On a throw, the abandoned tape
 * and every non-variable tensor the code created and left alive are disposed before rethrowing.
 *
 * The scope spans awaits, so no other tfjs work may run concurrently; bn-suite runs one case at a
 * time (as withSeed already requires).
 */
export async function releasingOnThrow<T>(fn: () => Promise<T>): Promise<T> {
  const engine = tf.engine();
  engine.startScope('bn-suite-release-on-throw');
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    releaseAbandonedTape();
    engine.endScope();
    throw error;
  }
  engine.endScope();
  return result;
}
