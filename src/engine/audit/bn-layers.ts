/**
 * Where the BatchNormalization layers of a user's model are: every BN layer, found through nested
 * models (a Sequential or functional model used as a layer), with its path, its configuration and
 * whether it is frozen, as Keras 3 would read it (its own `trainable` or that of any model it sits in).
 *
 * @packageDocumentation
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { tfl } from '../tfjs';

/** One BN layer of a model, and the chain of models it sits in (outermost first, ending with its owner). */
export interface BatchNormSite {
  /** Layer names from the outermost model down, joined by `/`: `mobilenet/bn_Conv1`. */
  path: string;
  layer: Layer;
  /** The models the layer sits in, outermost first; the last one owns it. */
  chain: LayersModel[];
}

/** A BN layer's configuration as results.json lists it. */
export interface BatchNormConfig {
  path: string;
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  /** The layer's own flag. */
  trainable: boolean;
  /** Frozen as Keras 3 reads it: the layer's own flag or that of a model it sits in is false. */
  frozen: boolean;
}

/** True when `layer` is a model used as a layer (tfjs nests a LayersModel, Sequential included, that way). */
export function isNestedModel(layer: Layer): layer is Layer & LayersModel {
  return layer instanceof tfl.LayersModel;
}

/** True for a BatchNormalization layer (Keras-converted models use the same class name). */
export function isBatchNorm(layer: Layer): boolean {
  return layer.getClassName() === 'BatchNormalization';
}

/**
 * Every BN layer of `model`, depth first in layer order. A layer shared by two places appears once,
 * at the first place it is found.
 */
export function findBatchNormLayers(model: LayersModel): BatchNormSite[] {
  const sites: BatchNormSite[] = [];
  const seen = new Set<Layer>();
  const visit = (owner: LayersModel, chain: LayersModel[], prefix: string): void => {
    for (const layer of owner.layers) {
      if (seen.has(layer)) continue;
      seen.add(layer);
      const path = prefix === '' ? layer.name : `${prefix}/${layer.name}`;
      if (isNestedModel(layer)) visit(layer, [...chain, layer], path);
      else if (isBatchNorm(layer)) sites.push({ path, layer, chain });
    }
  };
  visit(model, [model], '');
  return sites;
}

/** True when the site is frozen as Keras 3 reads it. */
export function isFrozen(site: BatchNormSite): boolean {
  return !site.layer.trainable || site.chain.some((m) => !m.trainable);
}

/** The site's configuration, read from the layer's own config. */
export function batchNormConfig(site: BatchNormSite): BatchNormConfig {
  const config = site.layer.getConfig() as { axis?: number; momentum?: number; epsilon?: number; center?: boolean; scale?: boolean };
  return {
    path: site.path,
    axis: typeof config.axis === 'number' ? config.axis : -1,
    momentum: config.momentum ?? 0.99,
    epsilon: config.epsilon ?? 1e-3,
    center: config.center ?? true,
    scale: config.scale ?? true,
    trainable: site.layer.trainable,
    frozen: isFrozen(site),
  };
}
