/**
 * The MNIST transfer-learning scenario: does a frozen base's BN make training-mode and
 * inference-mode accuracy of the new head diverge? (The "100% in training mode, 50% in inference
 * mode" report of the keras PR #9965 thread.)
 *
 * A base with BN layers is pre-trained on digits 0-4 (or loaded from the on-disk cache), then a new
 * softmax head is fine-tuned on digits 5-9 in two variants that start from identical weights and
 * see identical batches: `frozen` (tfjs's `trainable = false`) and `control` (the base always in
 * inference mode). After every epoch both are measured on the held-out test digits with a
 * training-mode forward pass and with predict; after every step the drift of each BN layer's
 * moving statistics from their pre-trained values is recorded.
 *
 * @packageDocumentation
 */
import { oneHot } from '../../data/generators';
import { preparing } from '../../run/preparation';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayersModel, LayerVariable } from '@tensorflow/tfjs-layers';
import { deriveSeed } from '../../data/rng';
import { withSeed } from '../../determinism/with-seed';
import type { CheckOutcome } from '../../invariants/types';
import type { TransferEvidence } from './evidence';
import { captureSnapshot, snapshotBytes } from '../../snapshot/snapshot';
import { tf, type TfjsVersions } from '../../tfjs';
import type { BuildResult, CachedModel, CacheStatus, ModelCache } from '../../host-services';
import { loadTransferData, PIXELS, PROFILES, type LabeledSet, type TransferData } from './mnist-data';
import { BASE_SPECS, bnLayersOf, buildBase, buildFineTuneModel, buildPretrainModel, calibrateMovingStats, movingStat, PRETRAIN_EPOCHS, TRAINING, VARIANTS, type TransferArchitecture, type TransferVariant } from './models';
import { releasingOnThrow } from './release-on-throw';
import type { TransferSpec } from './schema';
import { fingerprintOf } from '../../expectations/fingerprint';

/** Options of a run that are not part of the scenario. */
export interface TransferRunOptions {
  /** Where pre-trained bases are cached (the host's; a file cache in Node). */
  cache: ModelCache;
  /** The tfjs versions in use: part of the cache key. */
  tfjs: TfjsVersions;
  /** A content hash of the tfjs code in use (null: unknown): part of the cache key, so another build of the same version never reuses a base. */
  tfjsFingerprint?: string | null;
}

/** What pre-training records next to the cached base. */
export interface PretrainMetadata {
  /** Accuracy on the held-out pre-training digits with a training-mode pass (batch statistics). */
  trainingModeAccuracy: number;
  /** Accuracy on the same digits with predict (moving statistics). */
  inferenceModeAccuracy: number;
  epochs: number;
  steps: number;
  /** Per BN layer, how far calibration moved the moving mean / variance (max abs change). */
  calibration: Record<string, { mean: number; variance: number }>;
}

function isPretrainMetadata(value: unknown): value is PretrainMetadata {
  if (value === null || typeof value !== 'object') return false;
  const m = value as Record<string, unknown>;
  return (
    ['trainingModeAccuracy', 'inferenceModeAccuracy', 'epochs', 'steps'].every((k) => typeof m[k] === 'number' && Number.isFinite(m[k])) &&
    m.calibration !== null &&
    typeof m.calibration === 'object'
  );
}

/** Per-epoch accuracies of one variant (fractions) and their gap in percentage points. */
export interface VariantAccuracy {
  trainingModeAccuracy: number[];
  inferenceModeAccuracy: number[];
  gapPoints: number[];
  /** The epochs (1-based) the accuracies were measured after, one per entry. */
  epochs: number[];
}

/** Per-step max |moving statistic - pre-trained value| of one BN layer. */
export interface BnDrift {
  mean: number[];
  variance: number[];
}

const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

/** Samples per forward pass when measuring; the fine-tune batch size, so batch statistics are as noisy as in training. */
export const MEASURE_BATCH = TRAINING.batchSize;

/**
 * The seed of the generator that stands in for Math.random while a variant is fine-tuned (tfjs's
 * `fit({shuffle: true})` shuffles with Math.random): seedrandom's alea, seeded with this number's
 * decimal string, for the whole epoch loop. Both variants use it, so they see the same batches.
 */
export function fineTuneShuffleSeed(seed: number): number {
  return deriveSeed(seed, 'finetune-shuffle');
}


/** A set as tensors: inputs (any rank, samples first), one-hot labels and the class indices. */
export interface SetTensors {
  x: Tensor;
  y: Tensor;
  labels: Int32Array;
}

function toTensors(set: LabeledSet): SetTensors {
  return preparing('the MNIST tensors', () => ({ x: tf.tensor2d(set.x, [set.n, PIXELS]), y: tf.tensor2d(oneHot(set.labels, set.classes), [set.n, set.classes]), labels: set.labels }));
}

/**
 * Runs `fn` and puts every non-trainable weight of `model` back afterwards. In tfjs a
 * training-mode forward pass writes BN's moving statistics (of a frozen base too); measuring must
 * not change what training does next. The saved values are clones sharing the variables' old data,
 * so nothing is copied.
 */
async function preservingState<T>(model: LayersModel, fn: () => Promise<T>): Promise<T> {
  const variables: LayerVariable[] = model.nonTrainableWeights;
  const saved = variables.map((v) => tf.clone(v.read()));
  try {
    return await fn();
  } finally {
    variables.forEach((v, i) => v.write(saved[i]));
    tf.dispose(saved);
  }
}

/**
 * Accuracy on a set: `training` true runs model.apply(x, {training: true}) batch by batch (and
 * restores the weights the pass moved), false runs predict.
 */
export async function measureAccuracy(model: LayersModel, set: SetTensors, training: boolean): Promise<number> {
  const n = set.labels.length;
  const run = async (): Promise<number> => {
    let correct = 0;
    for (let start = 0; start < n; start += MEASURE_BATCH) {
      const size = Math.min(MEASURE_BATCH, n - start);
      const predicted = tf.tidy(() => {
        const xb = tf.slice(set.x, start, size);
        const out = (training ? model.apply(xb, { training: true }) : model.predict(xb)) as Tensor;
        return tf.argMax(out, -1);
      });
      let values: ArrayLike<number>;
      try {
        values = await predicted.data();
      } finally {
        predicted.dispose();
      }
      for (let i = 0; i < size; i++) if (values[i] === set.labels[start + i]) correct++;
    }
    return correct / n;
  };
  return training ? preservingState(model, run) : run();
}

async function readValues(variable: LayerVariable): Promise<Float32Array> {
  // read() is the variable itself: nothing to dispose.
  return Float32Array.from((await variable.read().data()) as Float32Array);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Records, per BN layer, max |current - pre-trained| of the moving statistics each time it is called. */
async function driftRecorder(base: LayersModel): Promise<{ record(): Promise<void>; drift: Record<string, BnDrift> }> {
  const tracked = await Promise.all(
    bnLayersOf(base).map(async (layer) => {
      const mean = movingStat(layer, 'moving_mean');
      const variance = movingStat(layer, 'moving_variance');
      return { name: layer.name, mean, variance, mean0: await readValues(mean), variance0: await readValues(variance) };
    }),
  );
  const drift: Record<string, BnDrift> = Object.fromEntries(tracked.map((t) => [t.name, { mean: [], variance: [] }]));
  return {
    drift,
    async record() {
      for (const t of tracked) {
        drift[t.name].mean.push(round4(maxAbsDiff(await readValues(t.mean), t.mean0)));
        drift[t.name].variance.push(round4(maxAbsDiff(await readValues(t.variance), t.variance0)));
      }
    },
  };
}

async function pretrain(spec: MnistTransferSpec, data: TransferData): Promise<BuildResult<PretrainMetadata>> {
  const epochs = PRETRAIN_EPOCHS[spec.profile][spec.architecture];
  return withSeed(deriveSeed(spec.seed, 'pretrain-shuffle'), async () => {
    const base = buildBase(spec.architecture, spec.seed);
    const model = buildPretrainModel(base, spec.seed);
    const train = toTensors(data.pretrain.train);
    const test = toTensors(data.pretrain.test);
    const dispose = () => {
      model.optimizer?.dispose();
      // A functional model disposes the models nested in it (internalContainerRefs): the base too.
      model.dispose();
    };
    try {
      model.compile({ optimizer: tf.train.adam(TRAINING.pretrainLearningRate), loss: 'categoricalCrossentropy' });
      await releasingOnThrow(() => model.fit(train.x, train.y, { epochs, batchSize: TRAINING.batchSize, shuffle: true, verbose: 0, yieldEvery: 'never' }));
      const calibration = await calibrateMovingStats(base, train.x);
      const metadata: PretrainMetadata = {
        trainingModeAccuracy: round4(await measureAccuracy(model, test, true)),
        inferenceModeAccuracy: round4(await measureAccuracy(model, test, false)),
        epochs,
        steps: epochs * Math.ceil(data.pretrain.train.n / TRAINING.batchSize),
        calibration: Object.fromEntries(Object.entries(calibration).map(([name, c]) => [name, { mean: round4(c.mean), variance: round4(c.variance) }])),
      };
      return { model: base, metadata, dispose };
    } catch (error) {
      dispose();
      throw error;
    } finally {
      tf.dispose([train.x, train.y, test.x, test.y]);
    }
  });
}

/** One fine-tuned variant: its accuracies per epoch, its BN drift per step, its time. */
export interface VariantRun {
  accuracy: VariantAccuracy;
  drift: Record<string, BnDrift>;
  ms: number;
}

/** How {@link fineTuneVariant} builds and trains the model: the MNIST bases' by default. */
export interface FineTuneRecipe {
  build(base: LayersModel, variant: TransferVariant): LayersModel;
  batchSize: number;
  learningRate: number;
  /**
   * False measures both modes' accuracy after the last epoch only. Measuring does not change what
   * training does (the moving statistics are put back), so the final figures are the same; it saves
   * two passes over the held-out set per epoch, which on a large base is most of an epoch's time.
   */
  measureEveryEpoch: boolean;
}

const MNIST_RECIPE = (spec: TransferSpec): FineTuneRecipe => ({
  build: (base, variant) => buildFineTuneModel(base, variant, spec.seed),
  batchSize: TRAINING.batchSize,
  learningRate: TRAINING.fineTuneLearningRate,
  measureEveryEpoch: true,
});

/**
 * Fine-tunes a new head on `base` in one variant for `spec.epochs` epochs, recording each BN
 * layer's drift after every step and both modes' accuracy on `test` after every epoch. Disposes
 * the fine-tune model, and with it the base.
 */
export async function fineTuneVariant(spec: TransferSpec, base: LayersModel, variant: TransferVariant, train: SetTensors, test: SetTensors, recipe: FineTuneRecipe = MNIST_RECIPE(spec)): Promise<VariantRun> {
  const started = performance.now();
  const recorder = await driftRecorder(base);
  const model = recipe.build(base, variant);
  const accuracy: VariantAccuracy = { trainingModeAccuracy: [], inferenceModeAccuracy: [], gapPoints: [], epochs: [] };
  try {
    model.compile({ optimizer: tf.train.adam(recipe.learningRate), loss: 'categoricalCrossentropy' });
    // Same seed for both variants: same shuffles, so the batches differ only in the base's mode.
    await withSeed(fineTuneShuffleSeed(spec.seed), async () => {
      for (let epoch = 0; epoch < spec.epochs; epoch++) {
        await releasingOnThrow(() =>
          model.fit(train.x, train.y, {
            epochs: 1,
            batchSize: recipe.batchSize,
            shuffle: true,
            verbose: 0,
            yieldEvery: 'never',
            callbacks: { onBatchEnd: () => recorder.record() },
          }),
        );
        if (!recipe.measureEveryEpoch && epoch < spec.epochs - 1) continue;
        const trainingMode = await measureAccuracy(model, test, true);
        const inferenceMode = await measureAccuracy(model, test, false);
        accuracy.trainingModeAccuracy.push(round4(trainingMode));
        accuracy.inferenceModeAccuracy.push(round4(inferenceMode));
        accuracy.gapPoints.push(round4(Math.abs(trainingMode - inferenceMode) * 100));
        accuracy.epochs.push(epoch + 1);
      }
    });
  } finally {
    model.optimizer?.dispose();
    // Disposes the base too: the fine-tune model owns it.
    model.dispose();
  }
  return { accuracy, drift: recorder.drift, ms: Math.round(performance.now() - started) };
}

/**
 * The scenario's base pre-trained on the active backend: from the cache, or pre-trained on `data`
 * and cached (the same entry for every run and capture of the same spec, backend and tfjs).
 */
export async function pretrainedBase(spec: MnistTransferSpec, data: TransferData, options: TransferRunOptions): Promise<CachedModel<PretrainMetadata>> {
  return options.cache.ensure<PretrainMetadata>({
    keyParts: baseKeyParts(spec, tf.getBackend(), options.tfjs, options.tfjsFingerprint ?? null),
    build: () => pretrain(spec, data),
    isMetadata: isPretrainMetadata,
  });
}

/** A transfer scenario whose base is pre-trained here (the `mobilenet_v2` base comes pre-trained: run-pretrained-transfer.ts). */
export type MnistTransferSpec = TransferSpec & { architecture: TransferArchitecture };

/**
 * Version of the pre-training code (pretrain() and calibrateMovingStats): bump it when they change
 * in a way BASE_SPECS, TRAINING and PRETRAIN_EPOCHS do not show, so cached bases are rebuilt.
 */
export const PRETRAIN_RECIPE = 1;

/** Everything the pre-trained base depends on, for the cache key. */
export function baseKeyParts(spec: MnistTransferSpec, backend: string, versions: TfjsVersions, fingerprint: string | null = null): Record<string, unknown> {
  return {
    recipe: PRETRAIN_RECIPE,
    tfjs: { core: versions['@tensorflow/tfjs-core'], layers: versions['@tensorflow/tfjs-layers'] },
    tfjsBuild: fingerprint,
    backend,
    backendVersion: backend === 'cpu' ? versions['@tensorflow/tfjs-backend-cpu'] : backend === 'wasm' ? versions['@tensorflow/tfjs-backend-wasm'] : versions['@tensorflow/tfjs-node'],
    seed: spec.seed,
    spec: { dataset: spec.dataset, architecture: spec.architecture, base: BASE_SPECS[spec.architecture], training: TRAINING, pretrainEpochs: PRETRAIN_EPOCHS[spec.profile][spec.architecture] },
    profile: { name: spec.profile, ...PROFILES[spec.profile] },
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

const VARIANT_LABELS: Record<TransferVariant, string> = { frozen: 'frozen base', control: 'control (base in inference mode)' };

const percent = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;

/**
 * Runs a transfer scenario on the active backend (see the module notes) and judges the asserted
 * variant: it fails when its final-epoch |training-mode - inference-mode accuracy| exceeds
 * `maxGapPoints` percentage points. Throws for errors (a missing kernel, for one: conv
 * pre-training needs Conv2DBackpropFilter); every tensor it made is disposed either way.
 */
export async function runTransferScenario(spec: MnistTransferSpec, options: TransferRunOptions): Promise<CheckOutcome<TransferEvidence>> {
  const started = performance.now();
  const data = loadTransferData({ profile: spec.profile, domainShift: spec.domainShift ?? null });
  const dataMs = Math.round(performance.now() - started);

  const baseStarted = performance.now();
  const cached = await pretrainedBase(spec, data, options);
  const cache: CacheStatus = cached.status;
  const baseMs = Math.round(performance.now() - baseStarted);

  const train = toTensors(data.target.train);
  const test = toTensors(data.target.test);
  const runs: Partial<Record<TransferVariant, VariantRun>> = {};
  let pretrainedBytes: Uint8Array | null = null;
  let pendingBase: LayersModel | null = cached.model;
  try {
    for (const variant of VARIANTS) {
      const base = pendingBase ?? (await cached.reload());
      pendingBase = null;
      const bytes = snapshotBytes(await captureSnapshot(base));
      if (pretrainedBytes === null) pretrainedBytes = bytes;
      else if (!sameBytes(bytes, pretrainedBytes)) {
        base.dispose();
        throw new Error(`runTransferScenario: the ${variant} variant's base does not hold the same pre-trained weights as the first variant's`);
      }
      runs[variant] = await fineTuneVariant(spec, base, variant, train, test);
    }
  } finally {
    pendingBase?.dispose();
    tf.dispose([train.x, train.y, test.x, test.y]);
  }

  const shift = spec.domainShift !== undefined ? ` (target shifted: contrast ${spec.domainShift.contrast}, brightness ${spec.domainShift.brightness})` : '';
  return judgeTransfer(spec, runs as Record<TransferVariant, VariantRun>, `${VARIANT_LABELS[spec.variant]}${shift}`, {
    sizes: {
      pretrainTrain: data.pretrain.train.n,
      pretrainTest: data.pretrain.test.n,
      targetTrain: data.target.train.n,
      targetTest: data.target.test.n,
      pretrainDigits: data.pretrain.train.digits,
      targetDigits: data.target.train.digits,
    },
    domainShift: spec.domainShift ?? null,
    cache,
    pretrain: cached.metadata,
    stepsPerEpoch: Math.ceil(data.target.train.n / TRAINING.batchSize),
    timings: { dataMs, baseMs, totalMs: Math.round(performance.now() - started) },
  });
}

/** What a transfer run records besides the scenario's own fields and the variants' accuracies and drift. */
export type TransferRunFields = Omit<TransferEvidence, 'dataset' | 'architecture' | 'variant' | 'profile' | 'seed' | 'epochs' | 'maxGapPoints' | 'variants' | 'drift' | 'timings'> & {
  timings: { dataMs: number; baseMs: number; totalMs: number };
};

/**
 * The verdict of a transfer run: it fails when the asserted variant's final-epoch |training-mode -
 * inference-mode accuracy| exceeds `maxGapPoints`. `label` names the asserted variant in the summary.
 */
export function judgeTransfer(spec: TransferSpec, runs: Record<TransferVariant, VariantRun>, label: string, fields: TransferRunFields): CheckOutcome<TransferEvidence> {
  const { frozen, control } = runs;
  const asserted = runs[spec.variant].accuracy;
  // The last entry is the final epoch's: fineTuneVariant always measures after it.
  const last = asserted.gapPoints.length - 1;
  if (asserted.epochs[last] !== spec.epochs) throw new Error(`transfer run measured epochs [${asserted.epochs.join(', ')}] but ran ${spec.epochs}: the final epoch must be measured`);
  const gap = asserted.gapPoints[last];
  const evidence: TransferEvidence = {
    dataset: spec.dataset,
    architecture: spec.architecture,
    variant: spec.variant,
    profile: spec.profile,
    seed: spec.seed,
    ...fields,
    epochs: spec.epochs,
    maxGapPoints: spec.maxGapPoints,
    variants: { frozen: frozen.accuracy, control: control.accuracy },
    drift: { frozen: frozen.drift, control: control.drift },
    timings: { dataMs: fields.timings.dataMs, baseMs: fields.timings.baseMs, frozenMs: frozen.ms, controlMs: control.ms, totalMs: fields.timings.totalMs },
  };
  if (gap > spec.maxGapPoints) {
    const summary =
      `${label}: training-mode accuracy ${percent(asserted.trainingModeAccuracy[last])} vs inference-mode ` +
      `${percent(asserted.inferenceModeAccuracy[last])} (gap ${gap.toFixed(1)} points > ${spec.maxGapPoints}) after ${spec.epochs} epoch${spec.epochs === 1 ? '' : 's'}`;
    return { status: 'fail', summary, evidence, fingerprint: fingerprintOf([`${spec.variant} accuracy gap`], gap) };
  }
  return { status: 'pass', evidence };
}
