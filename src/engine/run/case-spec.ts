import type { FreezeTarget } from '../models/build';
import type { ModelSpec } from '../models/spec';

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
  /** What is marked non-trainable before compiling; `none` leaves everything trainable. */
  freeze: FreezeTarget | 'none';
  entryPoint: EntryPoint;
  /** Training steps (epochs for `fit`, calls otherwise). */
  steps: number;
  learningRate: number;
}
