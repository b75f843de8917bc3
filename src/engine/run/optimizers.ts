/**
 * The optimizers bn-suite trains with, as tfjs makes them: a catalogue shared by the property cases
 * (`vary.optimizers`) and the steps language (`compile: {optimizer}`).
 *
 * @packageDocumentation
 */
import type { Optimizer } from '@tensorflow/tfjs-core';
import { tf } from '../tfjs';

/** Optimizers bn-suite can train with (tfjs `tf.train.*`). */
export const OPTIMIZER_KINDS = ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad', 'adadelta', 'adamax'] as const;

/** One of {@link OPTIMIZER_KINDS}. */
export type OptimizerKind = (typeof OPTIMIZER_KINDS)[number];

/**
 * The tfjs optimizer of each kind. A `Record` over the kinds: a kind added without its factory fails
 * the type check. Arguments tfjs leaves at its defaults are Keras's too (rmsprop rho 0.9; adam beta1
 * 0.9, beta2 0.999; epsilons from the backend). `momentum` is the momentum of `momentum` (0.9 when
 * absent, Keras's usual choice) and of `rmsprop` (0 when absent).
 */
export const OPTIMIZER_FACTORIES: Record<OptimizerKind, (learningRate: number, momentum: number | undefined) => Optimizer> = {
  sgd: (lr) => tf.train.sgd(lr),
  momentum: (lr, momentum) => tf.train.momentum(lr, momentum ?? 0.9),
  adam: (lr) => tf.train.adam(lr),
  rmsprop: (lr, momentum) => tf.train.rmsprop(lr, 0.9, momentum ?? 0),
  adagrad: (lr) => tf.train.adagrad(lr),
  adadelta: (lr) => tf.train.adadelta(lr),
  adamax: (lr) => tf.train.adamax(lr),
};

/** The optimizer a case or step asks for. */
export function makeOptimizer(kind: OptimizerKind, learningRate: number, momentum?: number): Optimizer {
  return OPTIMIZER_FACTORIES[kind](learningRate, momentum);
}
