import type { Tensor, io } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import type { ModelStore } from '../host-services';
import { LAYER_NAMES } from '../models/spec';
import { trainCase } from '../run/case-run';
import { withCase } from '../run/observe';
import { toDense } from '../run/tensor-data';
import { captureSnapshot, diffSnapshots } from '../snapshot/snapshot';
import { tf, tfl } from '../tfjs';
import { fingerprintOf } from '../expectations/fingerprint';
import { defineInvariant } from './types';
import { z } from 'zod';


/** The two ways a model makes the trip. */
export type RoundTripVia = 'memory' | ModelStore['via'];

/** One way in which a reloaded model differs from the model that was saved. */
export interface RoundTripMismatch {
  via: RoundTripVia;
  what: 'weight' | 'missing-weight' | 'extra-weight' | 'bn-config' | 'trainable' | 'trainable-weights' | 'predictions';
  /** Weight key, layer path or config field. */
  name: string;
  detail: string;
}

/** BN options that change what the layer computes or how its statistics move. */
const BN_CONFIG_FIELDS = ['axis', 'momentum', 'epsilon', 'center', 'scale'] as const;

function isModel(layer: Layer): layer is Layer & LayersModel {
  return Array.isArray((layer as Partial<LayersModel>).layers);
}

/** Every layer's `trainable` flag by path (`base/bn` inside a nested model), nested models included. */
export function trainableFlags(model: LayersModel, prefix = ''): Record<string, boolean> {
  const flags: Record<string, boolean> = {};
  for (const layer of model.layers) {
    const path = prefix + layer.name;
    flags[path] = layer.trainable;
    if (isModel(layer)) Object.assign(flags, trainableFlags(layer, `${path}/`));
  }
  return flags;
}

/** The first layer named `name`, searched depth-first through nested models; null when absent. */
export function findLayer(model: LayersModel, name: string): Layer | null {
  for (const layer of model.layers) {
    if (layer.name === name) return layer;
    if (isModel(layer)) {
      const inner = findLayer(layer, name);
      if (inner !== null) return inner;
    }
  }
  return null;
}

/** Weight keys (snapshot keys, layer-relative: `bn/gamma`) the optimizer would train, sorted. */
function trainableWeightKeys(model: LayersModel): string[] {
  return model.trainableWeights.map((w) => w.originalName).sort();
}

function firstBitDifference(a: Float32Array, b: Float32Array): number {
  const bitsA = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const bitsB = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (bitsA[i] !== bitsB[i]) return i;
  return a.length === b.length ? -1 : Math.min(a.length, b.length);
}

async function predictDense(model: LayersModel, x: Tensor): ReturnType<typeof toDense> {
  const output = model.predict(x) as Tensor;
  try {
    return await toDense(output);
  } finally {
    output.dispose();
  }
}

/**
 * Lists every difference between a model and its reloaded copy: weights by name (exact bytes),
 * the BN layer's configuration, every layer's `trainable` flag and the resulting trainable
 * weights, and predictions on `x`.
 *
 * Weights are keyed by snapshot key, i.e. tfjs's `originalName` (`bn/moving_mean`), which does not
 * carry the `_1` suffix tfjs gives the reloaded model's variables, so the two sides align by name.
 *
 * Predictions are compared exactly (bit patterns), not within a tolerance: identical weights and
 * topology on one backend run the same kernels in the same order on the same input, so any
 * difference, however small, means the reloaded model computes something else.
 */
export async function compareReloaded(original: LayersModel, reloaded: LayersModel, x: Tensor, via: RoundTripVia): Promise<RoundTripMismatch[]> {
  const mismatches: RoundTripMismatch[] = [];

  const diff = diffSnapshots(await captureSnapshot(original), await captureSnapshot(reloaded));
  for (const w of diff.moved) {
    mismatches.push({ via, what: 'weight', name: w.name, detail: `${w.changed} of ${w.count} values differ; first at [${w.firstIndex}]: ${w.before} -> ${w.after}` });
  }
  for (const name of diff.removed) mismatches.push({ via, what: 'missing-weight', name, detail: 'not in the reloaded model' });
  for (const name of diff.added) mismatches.push({ via, what: 'extra-weight', name, detail: 'only in the reloaded model' });

  const bnBefore = findLayer(original, LAYER_NAMES.bn);
  const bnAfter = findLayer(reloaded, LAYER_NAMES.bn);
  if (bnBefore === null || bnAfter === null) {
    mismatches.push({ via, what: 'bn-config', name: LAYER_NAMES.bn, detail: `BN layer '${LAYER_NAMES.bn}' ${bnBefore === null ? 'absent from the original' : 'absent after reload'}` });
  } else {
    // The layers' own fields, not getConfig(): getConfig is the serialization path under test, so a
    // field it drops would be missing on both sides and compare equal.
    const before = bnBefore as unknown as Record<string, unknown>;
    const after = bnAfter as unknown as Record<string, unknown>;
    for (const field of BN_CONFIG_FIELDS) {
      if (before[field] !== after[field]) mismatches.push({ via, what: 'bn-config', name: field, detail: `${String(before[field])} -> ${String(after[field])}` });
    }
  }

  const flagsBefore = trainableFlags(original);
  const flagsAfter = trainableFlags(reloaded);
  for (const path of new Set([...Object.keys(flagsBefore), ...Object.keys(flagsAfter)])) {
    if (flagsBefore[path] !== flagsAfter[path]) {
      mismatches.push({ via, what: 'trainable', name: path, detail: `trainable ${String(flagsBefore[path] ?? 'absent')} -> ${String(flagsAfter[path] ?? 'absent')}` });
    }
  }
  // What the flags mean for training: the weights an optimizer would update after reloading.
  const trainableBefore = trainableWeightKeys(original);
  const trainableAfter = trainableWeightKeys(reloaded);
  if (trainableBefore.join('\n') !== trainableAfter.join('\n')) {
    const gained = trainableAfter.filter((k) => !trainableBefore.includes(k));
    const lost = trainableBefore.filter((k) => !trainableAfter.includes(k));
    mismatches.push({ via, what: 'trainable-weights', name: [...gained, ...lost].join(','), detail: `became trainable: [${gained.join(', ')}]; no longer trainable: [${lost.join(', ')}]` });
  }

  const predictedBefore = await predictDense(original, x);
  const predictedAfter = await predictDense(reloaded, x);
  const first = firstBitDifference(predictedBefore.values, predictedAfter.values);
  if (first !== -1 || predictedBefore.shape.join() !== predictedAfter.shape.join()) {
    let maxAbsDiff = 0;
    for (let i = 0; i < Math.min(predictedBefore.values.length, predictedAfter.values.length); i++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(predictedBefore.values[i] - predictedAfter.values[i]));
    }
    mismatches.push({
      via,
      what: 'predictions',
      name: 'predict',
      detail: `shape [${predictedBefore.shape}] -> [${predictedAfter.shape}]; first differing index ${first}: ${predictedBefore.values[first]} -> ${predictedAfter.values[first]}; max abs diff ${maxAbsDiff}`,
    });
  }
  return mismatches;
}

/** Saves a model with tfjs's pass-through handler and loads it back from the artifacts in memory. */
export async function reloadInMemory(model: LayersModel): Promise<LayersModel> {
  let saved: io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (saved === undefined) throw new Error('model.save did not hand its artifacts to the save handler');
  return tfl.loadLayersModel(tf.io.fromMemory(saved));
}

/** The trips a model makes: always through memory, and through the host's persistent store where it has one. */
export function roundTrips(store: ModelStore | null): [RoundTripVia, (m: LayersModel) => Promise<LayersModel>][] {
  const trips: [RoundTripVia, (m: LayersModel) => Promise<LayersModel>][] = [['memory', reloadInMemory]];
  if (store !== null) trips.push([store.via, (m) => store.roundTrip(m)]);
  return trips;
}

/** Evidence of round-trip: the weights saved, the trips made and every difference a reload showed. */
export const roundTripEvidence = z
  .object({
    weights: z.array(z.string()),
    trips: z.array(z.enum(['memory', 'disk', 'indexeddb'])),
    mismatches: z.array(
      z
        .object({
          via: z.enum(['memory', 'disk', 'indexeddb']),
          what: z.enum(['weight', 'missing-weight', 'extra-weight', 'bn-config', 'trainable', 'trainable-weights', 'predictions']),
          name: z.string(),
          detail: z.string(),
        })
        .strict(),
    ),
  })
  .strict();

/**
 * Invariant 7: saving and loading a model keeps everything BN semantics depend on. The case is
 * trained first so that the moving statistics (which are non-trainable and easy to forget when
 * serializing) hold non-default values.
 */
export const roundTrip = defineInvariant({
  id: 'round-trip',
  evidence: roundTripEvidence,
  title: 'save and load keep BN weights, config and trainable flags',
  contract:
    'A saved and reloaded model has the same weights (moving statistics included, byte for byte), the same BN momentum and epsilon, the same trainable flags (a frozen layer or nested base stays frozen), and predicts the same values, whether the trip is through memory or through files.',
  async check(spec, context) {
    return withCase(spec, async (run) => {
      await trainCase(run);
      const model = run.built.model;
      const mismatches: RoundTripMismatch[] = [];
      const trips = roundTrips(context.host.modelStore);
      for (const [via, reload] of trips) {
        const reloaded = await reload(model);
        try {
          mismatches.push(...(await compareReloaded(model, reloaded, run.x, via)));
        } finally {
          reloaded.dispose();
        }
      }
      const evidence = { weights: Object.keys((await captureSnapshot(model)).weights).sort(), trips: trips.map(([via]) => via), mismatches };
      if (mismatches.length === 0) return { status: 'pass', evidence };
      const shown = mismatches.slice(0, 3).map((m) => `${m.via} ${m.what} ${m.name}: ${m.detail}`);
      const more = mismatches.length > 3 ? ` (+${mismatches.length - 3} more)` : '';
      const fingerprint = fingerprintOf(mismatches.map((m) => `${m.via} ${m.what} ${m.name}`), null);
      return { status: 'fail', summary: `${mismatches.length} difference(s) after save/load: ${shown.join('; ')}${more}`, evidence, fingerprint };
    });
  },
});
