import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { trainCase } from '../run/case-run';
import { withCase } from '../run/observe';
import { captureSnapshot, diffSnapshots, snapshotKeys, weightKind, type WeightSource } from '../snapshot/snapshot';
import { fingerprintOf } from '../expectations/fingerprint';
import { defineInvariant } from './types';

/** How one container (the model, the nested base, the BN layer itself) lists its weights. */
export interface ContainerListing {
  container: 'model' | 'base' | 'bn';
  trainable: boolean;
  trainableWeights: string[];
  nonTrainableWeights: string[];
}

function namesOf(weights: readonly WeightSource[]): string[] {
  // Keyed like snapshots (originalName), so the names compare with a diff's.
  return snapshotKeys(weights).sort();
}

function listing(container: ContainerListing['container'], layer: Layer | LayersModel): ContainerListing {
  return { container, trainable: layer.trainable, trainableWeights: namesOf(layer.trainableWeights), nonTrainableWeights: namesOf(layer.nonTrainableWeights) };
}

/**
 * What the Keras rule says about one listing: each weight is trainable exactly when it is a
 * trainable kind (never a moving statistic), its layer is trainable, and so is every container on
 * the way (`bnTrains`: Keras freezes every layer inside a frozen container, whichever container
 * lists it); trainable and non-trainable together are all of the container's weights, without
 * overlap. Returns the violations, one sentence each. Exported for tests.
 */
export function listingProblems(l: ContainerListing, allWeights: readonly string[], bnTrains: boolean): string[] {
  const problems: string[] = [];
  const trainable = new Set(l.trainableWeights);
  const nonTrainable = new Set(l.nonTrainableWeights);
  for (const name of allWeights) {
    if (trainable.has(name) && nonTrainable.has(name)) problems.push(`${l.container} lists ${name} as trainable and non-trainable`);
    if (!trainable.has(name) && !nonTrainable.has(name)) problems.push(`${l.container} lists ${name} in neither trainableWeights nor nonTrainableWeights`);
  }
  for (const name of [...trainable, ...nonTrainable]) if (!allWeights.includes(name)) problems.push(`${l.container} lists ${name}, which is not one of its weights`);
  for (const name of allWeights) {
    if (!name.startsWith('bn/')) continue;
    const kind = weightKind(name);
    const shouldTrain = (kind === 'gamma' || kind === 'beta') && bnTrains;
    if (shouldTrain && !trainable.has(name)) problems.push(`${l.container} does not list ${name} as trainable`);
    if (!shouldTrain && trainable.has(name)) problems.push(`${l.container} lists ${name} as trainable${kind === 'moving_mean' || kind === 'moving_variance' ? ' (a moving statistic is never trainable)' : ' although BN is frozen from there'}`);
  }
  return problems;
}

/**
 * Invariant 10: a frozen BN's bookkeeping. After the case's freeze, the BN layer, the nested base
 * and the model list gamma and beta as trainable only when nothing on the way is frozen, never a
 * moving statistic, and each weight exactly once; a frozen base also clears BN's own `trainable`;
 * training then changes no weight the model listed as non-trainable, except the moving statistics
 * (which the layer itself updates, not the optimizer: frozen-moving-stats judges those).
 */
export const trainableBookkeeping = defineInvariant({
  id: 'trainable-bookkeeping',
  title: 'frozen BN is listed and trained as non-trainable',
  contract:
    "Keras trainable semantics: layer.trainable = false (or on any enclosing model) moves the layer's gamma and beta to nonTrainableWeights of every container; moving_mean and moving_variance are always non-trainable; the optimizer updates only trainableWeights.",
  async check(spec) {
    return withCase(spec, async (run) => {
      const { model, bn, base } = run.built;
      type Container = [ContainerListing['container'], Layer | LayersModel];
      const containers: Container[] = [['model', model], ...(base !== null ? [['base', base] as Container] : []), ['bn', bn]];
      const listings = containers.map(([name, layer]) => listing(name, layer));
      const problems: string[] = [];
      // Keras rule: freezing a container freezes every layer in it, so BN trains only when the model,
      // the base (if any) and BN itself are all trainable, whichever container lists it.
      const bnTrains = containers.every(([, layer]) => layer.trainable);
      containers.forEach(([, layer], i) => problems.push(...listingProblems(listings[i], namesOf(layer.weights), bnTrains)));
      // Keras 3 and tf.keras set trainable on every layer inside a container whose trainable is set.
      if (base !== null && !base.trainable && bn.trainable) problems.push('bn.trainable is still true inside the frozen base (Keras sets it to false with the base)');
      const before = await captureSnapshot(model);
      await trainCase(run);
      const diff = diffSnapshots(before, await captureSnapshot(model));
      const modelTrainable = new Set(listings[0].trainableWeights);
      const trainedWhileFrozen = diff.moved
        .filter((w) => !modelTrainable.has(w.name) && weightKind(w.name) !== 'moving_mean' && weightKind(w.name) !== 'moving_variance')
        .map((w) => ({ name: w.name, maxAbsDiff: w.maxAbsDiff }));
      for (const w of trainedWhileFrozen) problems.push(`${spec.entryPoint} changed ${w.name} (by up to ${w.maxAbsDiff.toPrecision(3)}), which the model lists as non-trainable`);
      const evidence = { freeze: spec.freeze, nested: spec.model.nested, listings, trainedWhileFrozen };
      if (problems.length === 0) return { status: 'pass', evidence };
      return { status: 'fail', summary: problems.join('; '), evidence: { ...evidence, problems }, fingerprint: fingerprintOf(problems, null) };
    });
  },
});
