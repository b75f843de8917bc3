/**
 * How the audit freezes a user's model before fine-tuning it, and the model it fine-tunes.
 *
 * - `base` (default): the tfjs transfer-learning recipe. The whole model becomes a frozen base
 *   (`model.trainable = false`) under a new softmax head, and the new model is fine-tuned.
 * - `all-bn`: every BN layer is frozen (`layer.trainable = false`) and the model itself is fine-tuned.
 * - `layers`: the named layers (name or path) are frozen and the model itself is fine-tuned.
 * - `as-is`: nothing is changed; the model, frozen as its author froze it, is fine-tuned (what the
 *   jest matchers check: the user's own fine-tuning model).
 *
 * @packageDocumentation
 */
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { deriveSeed } from '../data/rng';
import { UsageError } from '../errors';
import { tfl } from '../tfjs';
import { findBatchNormLayers, isFrozen, isNestedModel } from './bn-layers';

/** How to freeze; see the module comment. */
export type FreezePlan = { kind: 'base' } | { kind: 'all-bn' } | { kind: 'layers'; names: readonly string[] } | { kind: 'as-is' };

/** The freeze plans by kind, with what each does (for `--help` and reports). */
export const FREEZE_PLANS: Record<FreezePlan['kind'], string> = {
  base: 'the whole model as a frozen base under a new softmax head (the tfjs transfer-learning recipe)',
  'all-bn': 'every BN layer frozen, the model itself fine-tuned',
  layers: 'the named layers frozen, the model itself fine-tuned',
  'as-is': "the model's own trainable flags (it is frozen already), the model itself fine-tuned",
};

/** Renders a plan as the `--freeze` value that asks for it. */
export function formatFreezePlan(plan: FreezePlan): string {
  return plan.kind === 'layers' ? plan.names.join(',') : plan.kind;
}

/** Reads a `--freeze` value: `base`, `all-bn`, `as-is` or a comma-separated list of layer names or paths. */
export function parseFreezePlan(text: string): FreezePlan {
  const value = text.trim();
  if (value === 'base' || value === 'all-bn' || value === 'as-is') return { kind: value };
  const names = value.split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (names.length === 0) throw new UsageError(`--freeze '${text}': expected base, all-bn, as-is or a comma-separated list of layer names`);
  return { kind: 'layers', names };
}

/** Every layer of `model` by name and by path through nested models. */
function layersByName(model: LayersModel): Map<string, Layer> {
  const byName = new Map<string, Layer>();
  const visit = (owner: LayersModel, prefix: string): void => {
    for (const layer of owner.layers) {
      const path = prefix === '' ? layer.name : `${prefix}/${layer.name}`;
      byName.set(path, layer);
      if (!byName.has(layer.name)) byName.set(layer.name, layer);
      if (isNestedModel(layer)) visit(layer, path);
    }
  };
  visit(model, '');
  return byName;
}

/** The model an audit fine-tunes, and what it added to the user's model. */
export interface FineTuneSetup {
  /** The model `fit` runs on: a new one that calls the user's model (under a new head for `base`). */
  model: LayersModel;
  /** The head this plan added (disposed after the audit), or null. */
  head: Layer | null;
  /** Paths of the layers the plan froze (the model's own name for `base`). */
  frozen: string[];
}

/**
 * Freezes `model` as `plan` says and returns the model to fine-tune. `classes` is the size of the
 * new softmax head of the `base` plan; its kernel is seeded from `seed`.
 *
 * @throws UsageError naming the layers that a `layers` plan names but the model lacks
 */
export function applyFreezePlan(model: LayersModel, plan: FreezePlan, classes: number, seed: number): FineTuneSetup {
  if (model.inputs.length !== 1) throw new UsageError(`model '${model.name}' has ${model.inputs.length} inputs; bn-suite audits models with one input`);
  const frozen = freeze(model, plan);
  // Always a new model around the user's: fit needs compile, and compiling the user's own model
  // would replace its optimizer and loss. Called as a layer, the user's model trains the same way.
  const input = tfl.input({ shape: model.inputs[0].shape.slice(1) as number[], name: 'bn_suite_input' });
  let output = model.apply(input) as SymbolicTensor;
  let head: Layer | null = null;
  if (plan.kind === 'base') {
    if (output.shape.length > 2) output = tfl.layers.flatten({ name: 'bn_suite_flatten' }).apply(output) as SymbolicTensor;
    head = tfl.layers.dense({
      units: classes,
      activation: 'softmax',
      name: 'bn_suite_head',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: deriveSeed(seed, 'bn_suite_head') }),
    });
    output = head.apply(output) as SymbolicTensor;
  }
  return { model: tfl.model({ inputs: input, outputs: output, name: 'bn_suite_fine_tune' }), head, frozen };
}

/** Freezes what `plan` says; returns the paths it froze. */
function freeze(model: LayersModel, plan: FreezePlan): string[] {
  switch (plan.kind) {
    case 'base':
      model.trainable = false;
      return [model.name];
    case 'as-is':
      return findBatchNormLayers(model).filter(isFrozen).map((s) => s.path);
    case 'all-bn': {
      const sites = findBatchNormLayers(model);
      for (const site of sites) site.layer.trainable = false;
      return sites.map((s) => s.path);
    }
    case 'layers': {
      const byName = layersByName(model);
      const missing = plan.names.filter((n) => !byName.has(n));
      if (missing.length > 0) {
        const known = [...byName.keys()].slice(0, 20);
        throw new UsageError(`--freeze: model '${model.name}' has no layer ${missing.map((m) => `'${m}'`).join(', ')}; its layers include ${known.join(', ')}`);
      }
      for (const name of plan.names) byName.get(name)!.trainable = false;
      return [...plan.names];
    }
  }
}
