import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { disposeCase, prepareCase, trainCase, type CaseRun, type FreezeStep } from '../run/case-run';
import { captureSnapshot, diffSnapshots, snapshotKeys, weightKind, type WeightSource } from '../snapshot/snapshot';
import { fingerprintOf } from '../expectations/fingerprint';
import type { CaseSpec } from '../run/case-spec';
import { defineInvariant } from './types';
import { z } from 'zod';
import { FREEZE_TIMINGS } from '../run/case-spec';
import { measuredNumber } from './evidence-parts';

/** How one container (the model, a nested model, the sibling, the BN layer itself) lists its weights. */
export interface ContainerListing {
  /** The container's layer name (`model_under_test`, `base`, `wrapper`, `sibling`, `bn`). */
  container: string;
  trainable: boolean;
  trainableWeights: string[];
  nonTrainableWeights: string[];
}

/** One violation of the Keras rule: a stable part name (for fingerprints) and a sentence. */
export interface BookkeepingProblem {
  part: string;
  sentence: string;
}

function namesOf(weights: readonly WeightSource[]): string[] {
  // Keyed like snapshots (originalName), so the names compare with a diff's.
  return snapshotKeys(weights).sort();
}

function listing(layer: Layer | LayersModel): ContainerListing {
  return { container: layer.name, trainable: layer.trainable, trainableWeights: namesOf(layer.trainableWeights), nonTrainableWeights: namesOf(layer.nonTrainableWeights) };
}

/** The layers a container holds directly (a plain layer holds none). */
function childrenOf(layer: Layer): Layer[] {
  return 'layers' in layer && Array.isArray((layer as LayersModel).layers) ? (layer as LayersModel).layers : [];
}

/**
 * The layers from `from` down to the one that owns the weight `name` (both included), searched
 * depth-first through nested models; null when `from` does not hold it.
 */
function pathToOwner(from: Layer, name: string): Layer[] | null {
  const children = childrenOf(from);
  if (children.length === 0) return namesOf(from.weights).includes(name) ? [from] : null;
  for (const child of children) {
    const path = pathToOwner(child, name);
    if (path !== null) return [from, ...path];
  }
  return null;
}

const STATISTICS = ['moving_mean', 'moving_variance'] as const;

/**
 * What the Keras rule says about one container's listing: a weight is trainable exactly when it is
 * a trainable kind (never a moving statistic) and every layer from the model down to the one that
 * owns it is trainable (`pathTrainable`: Keras freezes every layer inside a frozen container);
 * trainable and non-trainable together are all of the container's weights, without overlap.
 * Exported for tests.
 */
export function listingProblems(l: ContainerListing, allWeights: readonly string[], pathTrainable: (name: string) => boolean): BookkeepingProblem[] {
  const problems: BookkeepingProblem[] = [];
  const trainable = new Set(l.trainableWeights);
  const nonTrainable = new Set(l.nonTrainableWeights);
  const add = (part: string, sentence: string) => problems.push({ part: `${l.container}: ${part}`, sentence: `${l.container} ${sentence}` });
  for (const name of allWeights) {
    if (trainable.has(name) && nonTrainable.has(name)) add(`${name} listed twice`, `lists ${name} as trainable and non-trainable`);
    if (!trainable.has(name) && !nonTrainable.has(name)) add(`${name} unlisted`, `lists ${name} in neither trainableWeights nor nonTrainableWeights`);
  }
  for (const name of [...trainable, ...nonTrainable]) if (!allWeights.includes(name)) add(`${name} foreign`, `lists ${name}, which is not one of its weights`);
  for (const name of allWeights) {
    const kind = weightKind(name);
    const statistic = (STATISTICS as readonly string[]).includes(kind);
    const shouldTrain = !statistic && pathTrainable(name);
    if (shouldTrain && !trainable.has(name)) add(`${name} not trainable`, `does not list ${name} as trainable`);
    if (!shouldTrain && trainable.has(name)) add(`${name} trainable`, `lists ${name} as trainable${statistic ? ' (a moving statistic is never trainable)' : ' although it is frozen from there'}`);
  }
  return problems;
}

/** The containers whose listings the invariant reads, outermost first, then the sibling and the BN layer. */
function containersOf(run: CaseRun): Array<Layer | LayersModel> {
  const { model, containers, sibling, bn } = run.built;
  return [model, ...containers, ...(sibling !== null ? [sibling] : []), bn];
}

/**
 * Every problem with the listings as they stand: each container against the Keras rule, and the
 * Keras propagation (inside a frozen container every layer's own `trainable` is false).
 */
function standingProblems(run: CaseRun): { listings: ContainerListing[]; problems: BookkeepingProblem[] } {
  const listings: ContainerListing[] = [];
  const problems: BookkeepingProblem[] = [];
  // Keras propagates a container's flag to every layer inside, so what counts for a weight is every
  // flag from the model down to the layer that owns it, whichever container lists it.
  const { model, sibling } = run.built;
  const pathTrainable = (name: string) => (pathToOwner(model, name) ?? (sibling !== null ? pathToOwner(sibling, name) : null) ?? []).every((layer) => layer.trainable);
  for (const container of containersOf(run)) {
    const l = listing(container);
    listings.push(l);
    problems.push(...listingProblems(l, namesOf(container.weights), pathTrainable));
  }
  const visit = (layer: Layer, frozenBy: string | null) => {
    if (frozenBy !== null && layer.trainable) {
      problems.push({ part: `${layer.name}.trainable inside frozen ${frozenBy}`, sentence: `${layer.name}.trainable is still true inside the frozen ${frozenBy} (Keras sets it to false with the ${frozenBy})` });
    }
    const by = frozenBy ?? (layer.trainable ? null : layer.name);
    for (const child of childrenOf(layer)) visit(child, by);
  };
  visit(run.built.model, null);
  if (run.built.sibling !== null) visit(run.built.sibling, null);
  return { listings, problems };
}

/** The Keras-rule problems with a case's listings as they stand, as sentences (for repros). */
export function listingsProblems(run: CaseRun): string[] {
  return standingProblems(run).problems.map((p) => p.sentence);
}

function describeStep(step: FreezeStep): string {
  switch (step.action) {
    case 'freeze':
    case 'unfreeze':
      return `${step.action} ${step.target}`;
    case 'compile':
      return 'compile';
    case 'train':
      return `${step.steps} unfrozen training step(s)`;
  }
}

/** The weights the case's training may change besides the moving statistics, by the Keras rule. */
function mayTrain(spec: CaseSpec, run: CaseRun, trainableNow: readonly string[]): Set<string> {
  if (spec.entryPoint === 'layerApply') return new Set();
  // fit and trainOnBatch train what the last compile saw (trainCase compiles first unless the
  // timing says not to); a custom loop takes the trainable weights when it starts.
  if (spec.entryPoint === 'minimize') return new Set(trainableNow);
  return new Set(run.compiledTrainable ?? trainableNow);
}

const containerListing = z.object({ container: z.string(), trainable: z.boolean(), trainableWeights: z.array(z.string()), nonTrainableWeights: z.array(z.string()) }).strict();

/** Evidence of trainable-bookkeeping: every container's listing after each freeze step, what training may touch and what it did. */
export const trainableBookkeepingEvidence = z
  .object({
    freeze: z.enum(['bn', 'base', 'none']),
    freezeTiming: z.enum(FREEZE_TIMINGS),
    nested: z.boolean(),
    steps: z.array(z.object({ step: z.string(), listings: z.array(containerListing) }).strict()),
    mayTrain: z.array(z.string()),
    trainedWhileFrozen: z.array(z.object({ name: z.string(), maxAbsDiff: measuredNumber }).strict()),
    problems: z.array(z.string()).optional(),
  })
  .strict();

/**
 * Invariant 10: the trainable bookkeeping of a frozen BN, through every container and freeze step.
 * After each freeze, unfreeze, compile and training step of the case's freeze timing, the model,
 * every nested model, the model sharing BN (if any) and the BN layer list gamma and beta as
 * trainable only when nothing on the way down to BN is frozen, never a moving statistic, and each
 * weight exactly once; inside a frozen container every layer's own flag is false (Keras propagates
 * it). Training then changes, besides the moving statistics (which the layer itself updates:
 * frozen-moving-stats judges those), only weights the Keras rule lets it train: what the last
 * compile listed as trainable for `fit` / `trainOnBatch`, what was trainable when a custom loop
 * started, nothing for a direct layer call.
 */
export const trainableBookkeeping = defineInvariant({
  id: 'trainable-bookkeeping',
  evidence: trainableBookkeepingEvidence,
  title: 'frozen BN is listed and trained as non-trainable',
  contract:
    "Keras trainable semantics: layer.trainable = false (or on any enclosing model, which sets it on every layer inside) moves the layer's gamma and beta to nonTrainableWeights of every container; moving_mean and moving_variance are always non-trainable; fit and train_on_batch update the weights trainable at the last compile (a change takes effect at the next compile), a custom loop the ones it is given.",
  async check(spec) {
    const steps: Array<{ step: string; listings: ContainerListing[] }> = [];
    const problems: BookkeepingProblem[] = [];
    const note = (run: CaseRun, label: string) => {
      const standing = standingProblems(run);
      steps.push({ step: label, listings: standing.listings });
      for (const p of standing.problems) problems.push({ part: p.part, sentence: `after ${label}: ${p.sentence}` });
    };
    const run = await prepareCase(spec, { afterStep: (r, step) => note(r, describeStep(step)) });
    try {
      note(run, 'the freeze timing');
      const trainableNow = namesOf(run.built.model.trainableWeights);
      const before = await captureSnapshot(run.built.model);
      await trainCase(run);
      const diff = diffSnapshots(before, await captureSnapshot(run.built.model));
      const allowed = mayTrain(spec, run, trainableNow);
      const trainedWhileFrozen = diff.moved
        .filter((w) => !allowed.has(w.name) && !(STATISTICS as readonly string[]).includes(weightKind(w.name)))
        .map((w) => ({ name: w.name, maxAbsDiff: w.maxAbsDiff }));
      for (const w of trainedWhileFrozen) {
        problems.push({ part: `trained ${w.name}`, sentence: `${spec.entryPoint} changed ${w.name} (by up to ${w.maxAbsDiff.toPrecision(3)}), which was not trainable for it` });
      }
      // A problem usually stands through several steps: report it once, at the first step it showed.
      const firstSeen = new Map<string, BookkeepingProblem>();
      for (const p of problems) if (!firstSeen.has(p.part)) firstSeen.set(p.part, p);
      const unique = [...firstSeen.values()];
      const evidence = { freeze: spec.freeze, freezeTiming: spec.freezeTiming ?? 'before-compile', nested: spec.model.nested, steps, mayTrain: [...allowed].sort(), trainedWhileFrozen };
      if (unique.length === 0) return { status: 'pass', evidence };
      const sentences = unique.map((p) => p.sentence);
      return { status: 'fail', summary: sentences.join('; '), evidence: { ...evidence, problems: sentences }, fingerprint: fingerprintOf(unique.map((p) => p.part), null) };
    } finally {
      disposeCase(run);
    }
  },
});
