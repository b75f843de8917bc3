/**
 * Load-time checks of what a steps program refers to: every name a step reads was made by an
 * earlier step or the data section (of the right sort), every weight it names exists in the model
 * with as many values as it gives, every model it acts on exists, and every step that needs targets
 * has them. Without these, a typo ran the model first and then failed inside the run, which is
 * bn-suite's input problem and must never look like tfjs behaviour.
 *
 * @packageDocumentation
 */
import { weightShapesOf, type WeightShape } from '../../models/spec';
import { dataTensorShapes } from './data';
import { bnInputShapeOfModel, modelSpecOf, outputShapeOf } from './model-spec';
import { DATA_TENSOR_NAMES, type Step, type StepKind, type StepsData, type StepsModel } from './schema';

/** One problem, at a path inside the scenario (for file:line:column). */
export interface ReferenceIssue {
  path: (string | number)[];
  message: string;
}

type Sort = 'tensor' | 'loss' | 'snapshot' | 'shape';

type Params = Record<string, unknown>;

/** The one key of a parsed step and its parameters. */
export function stepEntry(step: Step): { kind: StepKind; params: Params } {
  const kind = Object.keys(step)[0] as StepKind;
  return { kind, params: step[kind] as Params };
}

/** Parameters that name something a step reads, by the sort of thing they name. */
const READ_KEYS: Array<{ key: string; sort: Sort }> = [
  { key: 'since', sort: 'snapshot' },
  { key: 'input', sort: 'tensor' },
  { key: 'targets', sort: 'tensor' },
  { key: 'mask', sort: 'tensor' },
  { key: 'cotangent', sort: 'tensor' },
  { key: 'x', sort: 'tensor' },
  { key: 'mean', sort: 'tensor' },
  { key: 'variance', sort: 'tensor' },
  { key: 'offset', sort: 'tensor' },
  { key: 'scale', sort: 'tensor' },
  { key: 'output', sort: 'tensor' },
];

/** Expectations whose `of` names a model or layer, not something a step made. */
const OF_A_MODEL: ReadonlySet<StepKind> = new Set(['expectWeightCount', 'expectLayerLosses', 'expectConfig']);

/** Expectations whose `a`/`b` or `of` name a loss rather than a tensor. */
const LOSS_READERS: ReadonlySet<StepKind> = new Set(['expectLossEqual', 'expectLoss']);

function reads(kind: StepKind, params: Params, defined: Record<Sort, Set<string>>): { sort: Sort; key: string; name: string }[] {
  const found: { sort: Sort; key: string; name: string }[] = [];
  for (const { key, sort } of READ_KEYS) {
    // gradBn's `output` names what it makes, not what it reads.
    if (typeof params[key] !== 'string' || (kind === 'gradBn' && key === 'output')) continue;
    // expectShape reads a tensor, or a symbolic shape from symbolicBn.
    const name = params[key] as string;
    found.push({ sort: kind === 'expectShape' && defined.shape.has(name) ? 'shape' : sort, key, name });
  }
  const pairSort: Sort = LOSS_READERS.has(kind) ? 'loss' : 'tensor';
  for (const key of ['a', 'b', 'of'] as const) {
    if (OF_A_MODEL.has(kind) || typeof params[key] !== 'string') continue;
    found.push({ sort: pairSort, key, name: params[key] as string });
  }
  return found;
}

/** What a step defines (`as`), by sort. */
function definitions(kind: StepKind, params: Params, model: StepsModel): { sort: Sort; name: string }[] {
  const as = typeof params.as === 'string' ? params.as : undefined;
  switch (kind) {
    case 'callBn':
      return [...(as !== undefined ? [{ sort: 'tensor' as const, name: as }] : []), { sort: 'tensor', name: 'bn_input' }];
    case 'callModel':
    case 'predict':
      return as !== undefined ? [{ sort: 'tensor', name: as }] : [];
    case 'trainOnBatch':
    case 'evaluate':
    case 'fit':
      return as !== undefined ? [{ sort: 'loss', name: as }] : [];
    case 'snapshot':
      return as !== undefined ? [{ sort: 'snapshot', name: as }] : [];
    case 'batchNormOp':
      return as !== undefined ? [{ sort: 'tensor', name: as }] : [];
    case 'symbolicBn':
      return as !== undefined ? [{ sort: 'shape', name: as }] : [];
    case 'gradBn': {
      // The layer's gamma and beta exist with scale and center only.
      const wrt = ((params.wrt as string[] | undefined) ?? ['input', 'gamma', 'beta']).filter((w) => (w !== 'gamma' || model.bn.scale) && (w !== 'beta' || model.bn.center));
      const made = wrt.map((w) => ({ sort: 'tensor' as const, name: `${as}_d${w === 'input' ? 'x' : w}` }));
      return typeof params.output === 'string' ? [...made, { sort: 'tensor', name: params.output }] : made;
    }
    case 'readWeight':
      return as !== undefined ? [{ sort: 'tensor', name: as }] : [];
    default:
      return [];
  }
}

const NEEDS_TARGETS: ReadonlySet<StepKind> = new Set(['fit', 'trainOnBatch', 'evaluate']);

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Issues with a weight a step names and the literal values it gives for it. */
function weightIssues(weights: readonly WeightShape[], weight: string, valueCount: number | undefined, path: (string | number)[]): ReferenceIssue[] {
  const found = weights.find((w) => w.name === weight);
  if (found === undefined) return [{ path: [...path, 'weight'], message: `the model has no weight '${weight}'; allowed: ${weights.map((w) => w.name).join(', ')}` }];
  const size = sizeOf(found.shape);
  if (valueCount !== undefined && size > 0 && valueCount !== size) {
    return [{ path: [...path, 'values'], message: `${weight} has shape [${found.shape.join(', ')}] (${size} values); ${valueCount} given` }];
  }
  return [];
}

/** Checks the model section's own consistency: a bare layer, the batch axis, literal initial weights. */
function modelIssues(model: StepsModel, data: StepsData, weights: readonly WeightShape[]): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const rank = model.inputShape.length + 1;
  const axis = model.bn.axis < 0 ? model.bn.axis + rank : model.bn.axis;
  if (axis === 0 && !model.bare) issues.push({ path: ['model', 'bn', 'axis'], message: `axis ${model.bn.axis} is the batch axis; only a bare layer (model.bare: true, built for the batch's full shape) can normalize along it` });
  if (model.bare) {
    const extra = [model.architecture !== 'bn-only' && 'architecture', model.head !== undefined && 'head', model.nested && 'nested', model.masking !== undefined && 'masking', model.sibling && 'sibling'].filter((x): x is string => typeof x === 'string');
    if (extra.length > 0) issues.push({ path: ['model', 'bare'], message: `a bare BN layer has no other layers or models; remove ${extra.join(', ')}` });
    for (const [tensorName, tensor] of Object.entries(data.tensors ?? {})) {
      if ('shape' in tensor && tensor.shape !== undefined && tensor.shape[0] !== data.batch) {
        issues.push({ path: ['data', 'tensors', tensorName, 'shape'], message: `a bare layer is built for batch ${data.batch}; this tensor's batch is ${tensor.shape[0]}` });
      }
    }
  }
  if (model.timeDistributed && (model.architecture !== 'bn-only' || model.inputShape.length < 2 || model.nested || model.masking !== undefined || model.bare)) {
    issues.push({ path: ['model', 'timeDistributed'], message: 'TimeDistributed wraps the BN of a bn-only model with a time axis (inputShape of 2 or more dims), without nesting, masking or bare' });
  }
  const conv = model.features?.kernelSize !== undefined || model.features?.padding !== undefined || model.features?.strides !== undefined;
  if (conv && model.architecture !== 'conv') issues.push({ path: ['model', 'features'], message: 'kernelSize, padding and strides are Conv2D options; they need architecture: conv' });
  if (model.features !== undefined && model.architecture === 'bn-only') issues.push({ path: ['model', 'features'], message: 'a bn-only model has no layer in front of BN; features needs architecture dense or conv' });
  if (model.architecture === 'conv' && model.inputShape.length !== 3) issues.push({ path: ['model', 'inputShape'], message: `architecture conv needs a per-sample shape of 3 dims [height, width, channels]; got ${model.inputShape.length}` });
  if (model.features?.kernelInitializer === 'identity' && (model.architecture !== 'dense' || model.inputShape[model.inputShape.length - 1] !== model.hiddenUnits)) {
    issues.push({ path: ['model', 'features', 'kernelInitializer'], message: 'identity needs a square Dense kernel (architecture dense, hiddenUnits equal to the last input dim)' });
  }
  const literal: Array<[string, unknown, (string | number)[]]> = [
    ['features/kernel', model.features?.kernelInitializer, ['model', 'features', 'kernelInitializer']],
    ['features/bias', model.features?.biasInitializer, ['model', 'features', 'biasInitializer']],
    ['head/kernel', model.head?.kernelInitializer, ['model', 'head', 'kernelInitializer']],
    ['head/bias', model.head?.biasInitializer, ['model', 'head', 'biasInitializer']],
  ];
  for (const [weight, init, path] of literal) {
    if (typeof init !== 'object' || init === null || !('values' in init)) continue;
    const found = weights.find((w) => w.name === weight);
    if (found === undefined) issues.push({ path, message: `the model has no weight '${weight}' to initialize (useBias: false?)` });
    else if ((init.values as number[]).length !== sizeOf(found.shape)) issues.push({ path: [...path, 'values'], message: `${weight} has shape [${found.shape.join(', ')}] (${sizeOf(found.shape)} values); ${(init.values as number[]).length} given` });
  }
  return issues;
}

/** Literal data values that do not fill their tensor, a copy's index outside its axis, targets copied from x that do not fit the model's output. */
function dataIssues(model: StepsModel, data: StepsData, shapes: Map<string, number[]>): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const literal: Array<[unknown, number[] | undefined, (string | number)[]]> = [
    [data.x, shapes.get('x'), ['data', 'x', 'values']],
    [data.y, shapes.get('y'), ['data', 'y', 'values']],
    ...Object.entries(data.tensors ?? {}).map(([name, t]): [unknown, number[] | undefined, (string | number)[]] => [t, shapes.get(name), ['data', 'tensors', name, 'values']]),
  ];
  for (const [spec, shape, path] of literal) {
    if (typeof spec !== 'object' || spec === null || !('values' in spec) || shape === undefined) continue;
    const count = (spec.values as number[]).length;
    if (count !== sizeOf(shape)) issues.push({ path, message: `${count} values for a tensor of shape [${shape.join(', ')}] (${sizeOf(shape)} values)` });
  }
  for (const [name, t] of Object.entries(data.tensors ?? {})) {
    if (!('copyOf' in t) || t.set === undefined) continue;
    const shape = shapes.get(name) ?? [];
    const axis = t.set.axis < 0 ? t.set.axis + shape.length : t.set.axis;
    if (axis < 0 || axis >= shape.length) issues.push({ path: ['data', 'tensors', name, 'set', 'axis'], message: `axis ${t.set.axis} is outside the rank ${shape.length} of [${shape.join(', ')}]` });
    else if (t.set.index >= shape[axis]) issues.push({ path: ['data', 'tensors', name, 'set', 'index'], message: `index ${t.set.index} is outside axis ${t.set.axis} of size ${shape[axis]}` });
  }
  if (data.y !== undefined && 'sameAs' in data.y) {
    const output = outputShapeOf(model);
    if (output.join(',') !== model.inputShape.join(',')) issues.push({ path: ['data', 'y', 'sameAs'], message: `targets copied from x have the input's shape [${model.inputShape.join(', ')}] but the model outputs [${output.join(', ')}]` });
  }
  return issues;
}

/** The shapes of what steps make, where they can be known before running (null: not known). */
function outputShape(kind: StepKind, params: Params, model: StepsModel, shapes: Map<string, number[] | null>, weights: readonly WeightShape[]): { name: string; shape: number[] | null }[] {
  const inputShape = shapes.get(typeof params.input === 'string' ? params.input : 'x') ?? null;
  const batch = inputShape === null ? null : inputShape[0];
  const per = (perSample: number[]) => (batch === null ? null : [batch, ...perSample]);
  const as = typeof params.as === 'string' ? params.as : undefined;
  if (kind === 'callBn') return [...(as !== undefined ? [{ name: as, shape: per(bnInputShapeOfModel(model)) }] : []), { name: 'bn_input', shape: per(bnInputShapeOfModel(model)) }];
  if ((kind === 'callModel' || kind === 'predict') && as !== undefined) return [{ name: as, shape: params.on === 'sibling' ? per(bnInputShapeOfModel(model)) : per(outputShapeOf(model)) }];
  if (kind === 'batchNormOp' && as !== undefined) return [{ name: as, shape: shapes.get(params.x as string) ?? null }];
  if (kind === 'gradBn') {
    const bnShape = per(bnInputShapeOfModel(model));
    const rank = model.inputShape.length + 1;
    const axis = model.bn.axis < 0 ? model.bn.axis + rank : model.bn.axis;
    const channels = bnShape === null ? null : [bnShape[axis]];
    return [{ name: `${as}_dx`, shape: bnShape }, { name: `${as}_dgamma`, shape: channels }, { name: `${as}_dbeta`, shape: channels }, ...(typeof params.output === 'string' ? [{ name: params.output, shape: bnShape }] : [])];
  }
  if (kind === 'readWeight' && as !== undefined) return [{ name: as, shape: weights.find((w) => w.name === params.weight)?.shape ?? null }];
  return [];
}

/** Literal values, axes and statistics that cannot fit the tensor a step reads. */
function shapeIssues(kind: StepKind, params: Params, at: (string | number)[], shapes: Map<string, number[] | null>, weights: readonly WeightShape[]): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const tensorName = (params.output ?? params.of) as string | undefined;
  const shape = typeof tensorName === 'string' ? (shapes.get(tensorName) ?? null) : null;
  if (shape === null) return issues;
  const rank = shape.length;
  if (kind === 'expectOutput' && Array.isArray(params.values) && params.values.length !== sizeOf(shape)) {
    issues.push({ path: [...at, 'values'], message: `${params.values.length} values for ${tensorName} of shape [${shape.join(', ')}] (${sizeOf(shape)} values)` });
  }
  if (kind === 'expectNormalized') {
    const axis = (params.axis as number) < 0 ? (params.axis as number) + rank : (params.axis as number);
    if (axis < 1 || axis >= rank) issues.push({ path: [...at, 'axis'], message: `axis ${String(params.axis)} is not a channel axis of ${tensorName} (shape [${shape.join(', ')}]); allowed: 1..${rank - 1} or -${rank - 1}..-1` });
  }
  if (kind === 'expectStatistic') {
    const axis = params.axis as number | undefined;
    const normalized = axis === undefined ? undefined : axis < 0 ? axis + rank : axis;
    if (normalized !== undefined && (normalized < 0 || normalized >= rank)) {
      issues.push({ path: [...at, 'axis'], message: `axis ${axis} is outside the rank ${rank} of ${tensorName} (shape [${shape.join(', ')}])` });
      return issues;
    }
    const count = normalized === undefined ? 1 : shape[normalized];
    const equals = params.equals;
    const given = Array.isArray(equals) ? equals.length : typeof equals === 'object' && equals !== null && 'weight' in equals ? sizeOf(weights.find((w) => w.name === (equals as { weight: string }).weight)?.shape ?? [count]) : count;
    if (given !== count) issues.push({ path: [...at, 'equals'], message: `the statistic has ${count} value(s) (${normalized === undefined ? 'over the whole tensor' : `one per index of axis ${axis}`}); equals gives ${given}` });
  }
  return issues;
}

/** The data tensors every program starts with, checking `copyOf` references in order. */
function dataTensorNames(data: StepsData, issues: ReferenceIssue[]): string[] {
  const names: string[] = ['x', 'input', ...(data.y !== undefined ? ['y'] : [])];
  for (const [tensorName, tensor] of Object.entries(data.tensors ?? {})) {
    if ((DATA_TENSOR_NAMES as readonly string[]).includes(tensorName) || tensorName === 'bn_input') {
      issues.push({ path: ['data', 'tensors', tensorName], message: `'${tensorName}' is a name bn-suite defines itself; choose another` });
    }
    if ('copyOf' in tensor && !names.includes(tensor.copyOf)) {
      issues.push({ path: ['data', 'tensors', tensorName, 'copyOf'], message: `no data tensor named '${tensor.copyOf}' before this one; defined so far: ${names.join(', ')}` });
    }
    names.push(tensorName);
  }
  return names;
}

/**
 * Checks a parsed steps program against its model and data.
 *
 * @returns the problems found, each at the path of the offending parameter; empty when none.
 */
export function checkStepReferences(model: StepsModel, data: StepsData, steps: readonly Step[]): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const weights = weightShapesOf(modelSpecOf(model, 0, data.batch));
  issues.push(...modelIssues(model, data, weights));
  const defined: Record<Sort, Set<string>> = { tensor: new Set(dataTensorNames(data, issues)), loss: new Set(), snapshot: new Set(), shape: new Set() };
  const dataShapes = dataTensorShapes(data, model.inputShape, outputShapeOf(model));
  issues.push(...dataIssues(model, data, dataShapes));
  const shapes = new Map<string, number[] | null>([...dataShapes, ['input', dataShapes.get('x') ?? null]]);
  const checkStep = (kind: StepKind, params: Params, at: (string | number)[]) => {
    if (kind === 'expectThrows') {
      const inner = stepEntry(params.step as Step);
      checkStep(inner.kind, inner.params, [...at, 'step', inner.kind]);
      return;
    }
    for (const read of reads(kind, params, defined)) {
      if (defined[read.sort].has(read.name)) continue;
      const sameNameOtherSort = (Object.keys(defined) as Sort[]).find((sort) => sort !== read.sort && defined[sort].has(read.name));
      issues.push({
        path: [...at, read.key],
        message:
          `no ${read.sort} named '${read.name}' is made by an earlier step${read.sort === 'tensor' ? ' or the data section' : ''}` +
          (sameNameOtherSort !== undefined ? ` ('${read.name}' is a ${sameNameOtherSort})` : '') +
          `; defined so far: ${defined[read.sort].size > 0 ? [...defined[read.sort]].join(', ') : 'none'}`,
      });
    }
    if (kind === 'expectWeight' || kind === 'setWeight') {
      const values = params.values as number[] | undefined;
      const shape = params.shape as number[] | undefined;
      // With a shape of its own, the values fill that shape (tfjs then judges whether the weight takes them).
      issues.push(...weightIssues(weights, params.weight as string, shape === undefined ? values?.length : undefined, at));
      if (shape !== undefined && values !== undefined && values.length !== sizeOf(shape)) issues.push({ path: [...at, 'values'], message: `${values.length} values for shape [${shape.join(', ')}] (${sizeOf(shape)} values)` });
      if (values === undefined && params.fill === undefined) issues.push({ path: at, message: `${kind} needs values or fill` });
      if (values !== undefined && params.fill !== undefined) issues.push({ path: at, message: `${kind} takes values or fill, not both` });
    }
    if (kind === 'expectOutput' && (params.values === undefined) === (params.fill === undefined)) issues.push({ path: at, message: 'expectOutput needs exactly one of values and fill' });
    if (kind === 'readWeight' || kind === 'expectConstraint') issues.push(...weightIssues(weights, params.weight as string, undefined, at));
    if ((kind === 'callBn' || kind === 'gradBn') && model.timeDistributed) issues.push({ path: at, message: `${kind} calls the BN layer itself, which a TimeDistributed model built for one time step; call the model (callModel, predict, fit) instead` });
    if (kind === 'expectStatistic' && typeof params.equals === 'object' && params.equals !== null && 'weight' in params.equals) {
      issues.push(...weightIssues(weights, (params.equals as { weight: string }).weight, undefined, [...at, 'equals']));
    }
    const role = kind === 'expectWeightCount' ? params.of : params.on;
    if (role === 'sibling' && !model.sibling) issues.push({ path: [...at, kind === 'expectWeightCount' ? 'of' : 'on'], message: 'the sibling model needs model.sibling: true' });
    const freezesBase = (kind === 'freeze' || kind === 'unfreeze') && (params as { target?: string }).target === 'base';
    if ((freezesBase || (kind === 'expectWeightCount' && params.of === 'base')) && !model.nested) issues.push({ path: at, message: "'base' is the nested model: it needs model.nested: true" });
    if (NEEDS_TARGETS.has(kind) && params.targets === undefined) {
      const input = params.input as string | undefined;
      if (input !== undefined && input !== 'x' && input !== 'input') issues.push({ path: [...at, 'targets'], message: `${kind} on input '${input}' needs targets (a data tensor or an output)` });
      else if (data.y === undefined) issues.push({ path: at, message: `${kind} needs targets; add data.y (fill, gaussian, uniform, values, labels or sameAs: x) or give targets` });
    }
    if (kind === 'saveReload' && model.sibling && params.on !== 'twin') issues.push({ path: at, message: 'saveReload replaces the model, but the sibling (model.sibling) would keep the old layers; reload the twin or drop the sibling' });
    issues.push(...shapeIssues(kind, params, at, shapes, weights));
    for (const made of outputShape(kind, params, model, shapes, weights)) shapes.set(made.name, made.shape);
    for (const definition of definitions(kind, params, model)) defined[definition.sort].add(definition.name);
    if (kind === 'gradBn') {
      const missing = ((params.wrt as string[] | undefined) ?? []).filter((w) => (w === 'gamma' && !model.bn.scale) || (w === 'beta' && !model.bn.center));
      if (missing.length > 0) issues.push({ path: [...at, 'wrt'], message: `the layer has no ${missing.join(' or ')} (bn.scale / bn.center false)` });
    }
  };
  steps.forEach((step, index) => {
    const { kind, params } = stepEntry(step);
    checkStep(kind, params, ['steps', index, kind]);
  });
  return issues;
}
