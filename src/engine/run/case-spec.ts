import type { FreezeTarget } from '../models/build';
import type { ModelSpec } from '../models/spec';
import type { OptimizerKind } from './optimizers';

/**
 * How a case trains the model: the ways a tfjs user can run a BN layer in training mode.
 * - `fit`: `model.fit` (one batch per epoch, `shuffle: true`, one epoch per step);
 * - `trainOnBatch`: `model.trainOnBatch`;
 * - `minimize`: a custom loop, `optimizer.minimize` over `model.apply(x, {training: true})`;
 * - `layerApply`: the BN layer alone, `layer.apply(features, {training: true})`.
 */
export const ENTRY_POINTS = ['fit', 'trainOnBatch', 'minimize', 'layerApply'] as const;

/** One of {@link ENTRY_POINTS}. */
export type EntryPoint = (typeof ENTRY_POINTS)[number];

/**
 * When, relative to `compile` and training, the case freezes its target:
 * - `before-compile`: freeze, compile, train (the documented order);
 * - `after-compile`: compile, freeze, train without compiling again;
 * - `after-compile-recompile`: compile, freeze, compile again, train;
 * - `unfreeze-refreeze`: freeze, compile, unfreeze, compile, freeze, compile, train;
 * - `between-fits`: compile, one training step with nothing frozen, freeze, compile, train (the
 *   fine-tuning flow: train, then freeze the base and train on).
 * Only `fit` and `trainOnBatch` compile; the other entry points take the trainable weights (or none)
 * when they run.
 */
export const FREEZE_TIMINGS = ['before-compile', 'after-compile', 'after-compile-recompile', 'unfreeze-refreeze', 'between-fits'] as const;

/** One of {@link FREEZE_TIMINGS}. */
export type FreezeTiming = (typeof FREEZE_TIMINGS)[number];

/** Seeded input data: a gaussian per channel of the input's last axis, and random class labels. */
export interface DataSpec {
  batch: number;
  /** Mean of every input feature (a domain shift away from the moving mean). */
  mean: number;
  /** Standard deviation of every input feature; 0 gives constant features (zero variance). */
  scale: number;
  seed: number;
}

/** One concrete case: a model, its data, what is frozen, and how it is trained. */
export interface CaseSpec {
  model: ModelSpec;
  data: DataSpec;
  /** What is marked non-trainable; `none` leaves everything trainable. */
  freeze: FreezeTarget | 'none';
  /** When the freeze happens; `before-compile` when absent. */
  freezeTiming?: FreezeTiming;
  entryPoint: EntryPoint;
  /** Training steps (epochs for `fit`, calls otherwise). */
  steps: number;
  learningRate: number;
  /** The optimizer `fit`, `trainOnBatch` and `minimize` train with; `sgd` when absent. */
  optimizer?: OptimizerKind;
}
