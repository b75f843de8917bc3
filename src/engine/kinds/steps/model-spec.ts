/**
 * The model spec a steps scenario's model section describes: bn-suite's {@link ModelSpec} (the
 * builder the property engine uses too) with the scenario's layer options.
 *
 * @packageDocumentation
 */
import { bnInputShapeOf, type ModelSpec } from '../../models/spec';
import type { StepsModel } from './schema';

/**
 * The model spec of a steps scenario's model section, seeded with `seed`; `batch` is the data's
 * batch size, which a bare layer is built for.
 */
export function modelSpecOf(model: StepsModel, seed: number, batch: number): ModelSpec {
  const head = model.head;
  const headOptions = head === undefined ? undefined : { kernelInitializer: head.kernelInitializer, biasInitializer: head.biasInitializer, useBias: head.useBias };
  return {
    architecture: model.architecture,
    inputShape: model.inputShape,
    hiddenUnits: model.hiddenUnits,
    bn: withoutUndefined({ ...model.bn }),
    classes: head?.units ?? 0,
    headActivation: head?.activation,
    nested: model.nested,
    ...(model.features !== undefined ? { features: withoutUndefined(model.features) } : {}),
    ...(headOptions !== undefined ? { head: withoutUndefined(headOptions) } : {}),
    ...(model.masking !== undefined ? { masking: { maskValue: model.masking.maskValue } } : {}),
    ...(model.bare ? { fixedBatch: batch } : {}),
    ...(model.sibling ? { shared: true } : {}),
    ...(model.container !== 'functional' ? { container: model.container } : {}),
    ...(model.nested && model.baseContainer !== 'functional' ? { baseContainer: model.baseContainer } : {}),
    ...(model.timeDistributed ? { timeDistributed: true } : {}),
    seed,
  };
}

/** The object without its undefined fields, so a spec reads the same as one written without them. */
function withoutUndefined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

/** The per-sample shape BN sees in a steps scenario's model. */
export function bnInputShapeOfModel(model: StepsModel): number[] {
  return bnInputShapeOf(modelSpecOf(model, 0, 1));
}

/** The per-sample output shape of a steps scenario's model: the head's units, or what BN makes. */
export function outputShapeOf(model: StepsModel): number[] {
  return model.head !== undefined ? [model.head.units] : bnInputShapeOfModel(model);
}
