/**
 * What a standalone reproduction of a transfer scenario takes from bn-suite: the pre-trained base's
 * weights exactly as bn-suite's run fine-tunes them (the cached base, so the script neither
 * re-trains nor depends on pre-training being deterministic), the new head's seeded initial
 * weights, the digits (before any domain shift) and the fine-tune recipe. With these a plain tfjs
 * script does the run's work and reaches its numbers on the same backend.
 *
 * Pure: tfjs comes from the host through the engine's binding; the base comes from the host's
 * cache or its pre-trained models, as in the run.
 *
 * @packageDocumentation
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import type { HostServices } from '../../host-services';
import { UnsupportedCaseError } from '../../run/verdict';
import { tf, tfl } from '../../tfjs';
import { loadTransferData, type LabeledSet } from './mnist-data';
import { BASE_SPECS, bnLayersOf, buildFineTuneModel, TRAINING } from './models';
import { buildImageFineTuneModel, PRETRAINED_TRANSFER, pretrainedTransferData } from './pretrained-base';
import { fineTuneShuffleSeed, MEASURE_BATCH, pretrainedBase, type MnistTransferSpec } from './run-transfer';
import type { DomainShift, TransferSpec } from './schema';

/** One weight of a layer: its name inside the layer (`kernel`, `moving_mean`, ...), shape and values. */
export interface CapturedWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** A layer's weights in its `weights` order (the order `setWeights` takes). */
export interface CapturedLayer {
  layer: string;
  weights: CapturedWeight[];
}

/** How the new head is fine-tuned, as the run does it. */
export interface FineTuneRecipe {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Samples per forward pass when accuracy is measured (training-mode BN depends on the batch). */
  measureBatch: number;
  /** The alea seed (as its decimal string) that replaces Math.random for a variant's whole epoch loop. */
  shuffleSeed: number;
}

/** Everything a transfer repro inlines or rebuilds, and the scenario values its verdict needs. */
export interface TransferCapture {
  architecture: 'mlp' | 'mobilenet_v2';
  /** The variant whose final gap the scenario judges. */
  asserted: 'frozen' | 'control';
  maxGapPoints: number;
  seed: number;
  profile: 'quick' | 'full';
  /**
   * The MLP base as bn-suite pre-trained it (moving statistics calibrated), every layer with
   * weights, in layer order; null for a base that comes pre-trained (the script loads it itself).
   */
  base: CapturedLayer[] | null;
  /** Units of the MLP base's dense layers (each followed by BN and relu); empty for MobileNetV2. */
  baseUnits: number[];
  /** The BN layers of the base, in layer order. */
  bnLayers: string[];
  /** The new head's initial weights (seeded), the same for both variants. */
  head: CapturedLayer;
  /** The fine-tune digits as bn-suite selects them, before any domain shift; label k is `train.digits[k]`. */
  train: LabeledSet;
  test: LabeledSet;
  domainShift: DomainShift | null;
  recipe: FineTuneRecipe;
  /** For MobileNetV2: the model, where it is cut and the input size the digits are resized to. */
  pretrained: { model: string; cutAt: string; inputSize: number } | null;
}

/** A layer's weights, read out (nothing is disposed: `read()` is the variable itself). */
async function captureLayer(layer: Layer): Promise<CapturedLayer> {
  const weights: CapturedWeight[] = [];
  for (const w of layer.weights) {
    const name = (w.originalName ?? w.name).split('/').pop() as string;
    weights.push({ name, shape: w.shape.slice() as number[], values: Float32Array.from((await w.read().data()) as Float32Array) });
  }
  return { layer: layer.name, weights };
}

/** The head layer of a fine-tune model built on `base` (disposing the model disposes the base). */
async function headOf(model: LayersModel): Promise<CapturedLayer> {
  try {
    return await captureLayer(model.getLayer('head') as unknown as Layer);
  } finally {
    model.dispose();
  }
}

/** The base architectures a transfer repro can be written for. */
export const TRANSFER_REPRO_ARCHITECTURES = ['mlp', 'mobilenet_v2'] as const;

/** True when {@link captureTransfer} (and the script templates) cover the architecture. */
export function hasTransferReproTemplate(architecture: string): architecture is (typeof TRANSFER_REPRO_ARCHITECTURES)[number] {
  return (TRANSFER_REPRO_ARCHITECTURES as readonly string[]).includes(architecture);
}

async function captureMlp(spec: MnistTransferSpec, host: HostServices): Promise<TransferCapture> {
  // Unshifted: the script applies the shift itself, as the run's loader does.
  const data = loadTransferData({ profile: spec.profile, domainShift: null });
  const cached = await pretrainedBase(spec, data, { cache: host.modelCache, tfjs: host.tfjs, tfjsFingerprint: host.tfjsFingerprint });
  const base = cached.model;
  let layers: CapturedLayer[];
  let bnLayers: string[];
  try {
    layers = [];
    for (const layer of base.layers) if (layer.weights.length > 0) layers.push(await captureLayer(layer));
    bnLayers = bnLayersOf(base).map((l) => l.name);
  } catch (error) {
    base.dispose();
    throw error;
  }
  const head = await headOf(buildFineTuneModel(base, 'frozen', spec.seed));
  return {
    architecture: 'mlp',
    asserted: spec.variant,
    maxGapPoints: spec.maxGapPoints,
    seed: spec.seed,
    profile: spec.profile,
    base: layers,
    baseUnits: [...BASE_SPECS.mlp.units],
    bnLayers,
    head,
    train: data.target.train,
    test: data.target.test,
    domainShift: spec.domainShift ?? null,
    recipe: { epochs: spec.epochs, batchSize: TRAINING.batchSize, learningRate: TRAINING.fineTuneLearningRate, measureBatch: MEASURE_BATCH, shuffleSeed: fineTuneShuffleSeed(spec.seed) },
    pretrained: null,
  };
}

async function captureMobilenet(spec: TransferSpec, host: HostServices): Promise<TransferCapture> {
  const data = pretrainedTransferData(spec.profile);
  const loaded = host.pretrained?.artifacts(PRETRAINED_TRANSFER.model, { inputSize: data.size, cutAt: PRETRAINED_TRANSFER.cutAt }) ?? 'this host has no pre-trained models';
  if (typeof loaded === 'string') throw new UnsupportedCaseError(`${PRETRAINED_TRANSFER.model}: ${loaded}`, tf.getBackend());
  const base = await tfl.loadLayersModel(tf.io.fromMemory(loaded));
  const bnLayers = bnLayersOf(base).map((l) => l.name);
  const head = await headOf(buildImageFineTuneModel(base, 'frozen', spec.seed, data.size));
  return {
    architecture: 'mobilenet_v2',
    asserted: spec.variant,
    maxGapPoints: spec.maxGapPoints,
    seed: spec.seed,
    profile: spec.profile,
    base: null,
    baseUnits: [],
    bnLayers,
    head,
    train: data.train,
    test: data.test,
    domainShift: null,
    recipe: { epochs: spec.epochs, batchSize: PRETRAINED_TRANSFER.batchSize, learningRate: PRETRAINED_TRANSFER.learningRate, measureBatch: MEASURE_BATCH, shuffleSeed: fineTuneShuffleSeed(spec.seed) },
    pretrained: { model: PRETRAINED_TRANSFER.model, cutAt: PRETRAINED_TRANSFER.cutAt, inputSize: data.size },
  };
}

/**
 * Captures a transfer scenario for a standalone repro on the active backend: for the MLP the base
 * the run fine-tunes (the host's cache entry for this spec and backend, pre-trained now on a miss),
 * for MobileNetV2 only the names of its BN layers (the script loads the model itself). Every
 * tensor it makes is disposed.
 *
 * @throws RangeError for an architecture without a repro template (the conv base);
 *   UnsupportedCaseError when the host has no MobileNetV2
 */
export async function captureTransfer(spec: TransferSpec, host: HostServices): Promise<TransferCapture> {
  if (!hasTransferReproTemplate(spec.architecture)) throw new RangeError(`captureTransfer: the ${spec.architecture} base has no repro template (${TRANSFER_REPRO_ARCHITECTURES.join(' and ')} have)`);
  return spec.architecture === 'mobilenet_v2' ? captureMobilenet(spec, host) : captureMlp(spec as MnistTransferSpec, host);
}
