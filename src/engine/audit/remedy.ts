/**
 * The remedy for the frozen-BN trap in tfjs: give a model's BN layers the Keras 3 (TF2) rule, "a
 * frozen BatchNormalization layer runs in inference mode", which tfjs does not follow. With it a
 * frozen BN normalizes with its moving statistics during `fit` as in `predict`, and `fit` leaves
 * those statistics alone, so training- and inference-mode accuracy agree.
 *
 * How: each BN layer's `call` is wrapped on the instance. The wrapper asks, on every call, whether
 * the layer is frozen (its own `trainable`, or that of any model it sits in, is false) and if so
 * calls the original with `training: false`. Asking at call time means freezing or unfreezing later
 * (the usual second fine-tuning phase) takes effect without re-applying the remedy.
 *
 * Limits (the reports repeat them): the wrapper lives on the layer objects, not in model.json, so
 * a saved and reloaded model needs the remedy again; a BN layer added to the model afterwards is not
 * covered; layers shared with another model behave the same way in that model too.
 *
 * @packageDocumentation
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import { findBatchNormLayers, isFrozen, isNestedModel } from './bn-layers';

/** What {@link keepFrozenBatchNormInInferenceMode} did, and how to undo it. */
export interface BatchNormRemedy {
  /** Paths of the BN layers the remedy covers. */
  readonly layers: readonly string[];
  /** Restores the layers' own `call`. */
  undo(): void;
}

type CallFn = (inputs: Tensor | Tensor[], kwargs: Kwargs) => Tensor | Tensor[];
const ORIGINAL_CALL = Symbol('bn-suite original BN call');

/**
 * Makes every frozen BN layer of `model` (nested models included) run in inference mode whatever
 * mode it is called in: the Keras 3 behaviour. Applying it twice is harmless.
 */
export function keepFrozenBatchNormInInferenceMode(model: LayersModel): BatchNormRemedy {
  const sites = findBatchNormLayers(model);
  const patched: Array<{ layer: Record<PropertyKey, unknown> & { call: CallFn }; original: CallFn }> = [];
  for (const site of sites) {
    const layer = site.layer as unknown as Record<PropertyKey, unknown> & { call: CallFn };
    if (layer[ORIGINAL_CALL] !== undefined) continue;
    const original = layer.call;
    const call: CallFn = (inputs, kwargs) => original.call(layer, inputs, isFrozen(site) ? { ...kwargs, training: false } : kwargs);
    layer.call = call;
    layer[ORIGINAL_CALL] = original;
    patched.push({ layer, original });
  }
  return {
    layers: sites.map((s) => s.path),
    undo(): void {
      for (const { layer, original } of patched) {
        layer.call = original;
        delete layer[ORIGINAL_CALL];
      }
    },
  };
}

/**
 * Freezes `model` for fine-tuning the way Keras 3 does: the model and every layer in it (nested
 * models included) get `trainable = false`, and its BN layers run in inference mode while frozen
 * ({@link keepFrozenBatchNormInInferenceMode}). Use the model as the base under a new head, as the
 * tfjs transfer-learning tutorials do.
 *
 * Why every layer and not only the model: tfjs saves `trainable` per layer but not for a nested
 * model, so a base frozen only through `model.trainable` comes back trainable after save and load.
 */
export function freezeForFineTuning(model: LayersModel): BatchNormRemedy {
  const freeze = (owner: LayersModel): void => {
    owner.trainable = false;
    for (const layer of owner.layers) {
      if (isNestedModel(layer)) freeze(layer);
      else layer.trainable = false;
    }
  };
  freeze(model);
  return keepFrozenBatchNormInInferenceMode(model);
}
