import fc from 'fast-check';
import { CONTAINER_KINDS, type Architecture, type ContainerKind, type ModelSpec } from '../models/spec';
import type { FreezeTarget } from '../models/build';
import { FREEZE_TIMINGS, type CaseSpec, type EntryPoint, type FreezeTiming } from '../run/case-spec';
import type { OptimizerKind } from '../run/optimizers';

/** An inclusive numeric range. */
export interface Range {
  min: number;
  max: number;
}

/**
 * What the property engine may vary in a scenario, and within what ranges. Every field is a set
 * of allowed values or a range; a scenario pins a parameter by allowing one value.
 */
export interface CaseConstraints {
  /** Batch ranks (2 to 5; conv needs 4; tfjs's BN does not implement rank 5, tfjs#8011). */
  ranks: number[];
  architectures: Architecture[];
  entryPoints: EntryPoint[];
  freeze: Array<FreezeTarget | 'none'>;
  /** When the freeze happens relative to compile and training (see {@link FREEZE_TIMINGS}). */
  freezeTimings: FreezeTiming[];
  /** Whether the part up to BN is a nested base model (forced true when freezing the base). */
  nested: boolean[];
  /** How the model and (independently) the nested base are put together. */
  containers: ContainerKind[];
  /** Nesting levels of a nested base: 1 (base in the model) or 2 (base in a wrapper in the model). */
  depths: Array<1 | 2>;
  /** Whether a second model shares the layers up to BN. */
  shared: boolean[];
  center: boolean[];
  scale: boolean[];
  /**
   * Where BN's channel axis may sit: `last` (-1, channels last) and/or `non-last` (any axis between
   * the batch axis and the last one, which needs rank >= 3).
   */
  axisPlacement: Array<'last' | 'non-last'>;
  /** Per-sample size of every non-channel input dimension. */
  spatial: Range;
  /** Size of the input's last axis and of the layer in front of BN. */
  channels: Range;
  batch: Range;
  steps: Range;
  /** Momentum; 0 is always among the generated values when the range includes it. */
  momentum: Range;
  epsilon: Range;
  /** Mean of the data; the generator mixes in large shifts within the range's bounds. */
  dataMean: Range;
  /** Scale of the data; 0 (constant features) is included when the range starts at 0. */
  dataScale: Range;
  classes: Range;
  learningRate: Range;
  /** Optimizers the training entry points may use. */
  optimizers: OptimizerKind[];
}

/** The widest space bn-suite explores; scenarios narrow it. */
export const DEFAULT_CONSTRAINTS: CaseConstraints = {
  ranks: [2, 3, 4],
  architectures: ['bn-only', 'dense', 'conv'],
  entryPoints: ['fit', 'trainOnBatch', 'minimize', 'layerApply'],
  freeze: ['bn'],
  freezeTimings: [...FREEZE_TIMINGS],
  nested: [false, true],
  containers: [...CONTAINER_KINDS],
  depths: [1, 2],
  shared: [false, true],
  center: [true],
  scale: [true],
  axisPlacement: ['last'],
  spatial: { min: 1, max: 3 },
  channels: { min: 1, max: 4 },
  batch: { min: 1, max: 64 },
  steps: { min: 1, max: 3 },
  momentum: { min: 0, max: 0.999 },
  epsilon: { min: 1e-5, max: 0.1 },
  dataMean: { min: -1000, max: 1000 },
  dataScale: { min: 0, max: 100 },
  classes: { min: 2, max: 3 },
  learningRate: { min: 0.001, max: 0.1 },
  optimizers: ['sgd'],
};

const int = (range: Range) => fc.integer({ min: range.min, max: range.max });

/**
 * A double spread evenly over the range (a grid of a million steps). fc.double would not do: it
 * draws uniformly over float representations, so nearly every draw in [0, 1] is below 1e-4.
 * Unbiased (the edges come from doubleWithEdges); shrinks towards 0 when the range holds it, else
 * towards the bound nearest to 0.
 */
function uniform(range: Range): fc.Arbitrary<number> {
  if (range.min === range.max) return fc.constant(range.min);
  const step = (range.max - range.min) / 1_000_000;
  const anchor = Math.min(Math.max(0, range.min), range.max);
  const lo = Math.ceil((range.min - anchor) / step);
  const hi = Math.floor((range.max - anchor) / step);
  return fc.noBias(fc.integer({ min: lo, max: hi })).map((k) => Math.min(range.max, Math.max(range.min, anchor + k * step)));
}

/** A double in the range, with its bounds (and 0 when inside) as easy-to-shrink-to special values. */
function doubleWithEdges(range: Range): fc.Arbitrary<number> {
  const edges = [range.min, range.max, ...(range.min <= 0 && range.max >= 0 ? [0] : [])];
  const inner = uniform(range);
  // Shrinking goes towards the first arbitrary of oneof: the plain values come first.
  return fc.oneof({ arbitrary: inner, weight: 4 }, { arbitrary: fc.constantFrom(...edges), weight: 1 });
}

/** Moderate data means, with rare large shifts at the range's bounds. */
function dataMean(range: Range): fc.Arbitrary<number> {
  const moderate = { min: Math.max(range.min, -5), max: Math.min(range.max, 5) };
  if (moderate.min > moderate.max) return doubleWithEdges(range);
  return fc.oneof({ arbitrary: doubleWithEdges(moderate), weight: 4 }, { arbitrary: fc.constantFrom(range.min, range.max), weight: 1 });
}

/** Momentum over the range, with 0 (the batch statistics replace the moving ones) explicitly included. */
function momentum(range: Range): fc.Arbitrary<number> {
  return doubleWithEdges(range).map((m) => Math.round(m * 1e4) / 1e4);
}

/** Epsilon spread over decades (log-uniform), since its effect is relative to the variance. */
function epsilon(range: Range): fc.Arbitrary<number> {
  const lo = Math.log10(range.min);
  const hi = Math.log10(range.max);
  return fc.integer({ min: 0, max: 100 }).map((t) => Number((10 ** (lo + ((hi - lo) * t) / 100)).toPrecision(3)));
}

/** Channel axes of a rank-`rank` input allowed by the placements, each written positively and negatively. */
function axesFor(rank: number, placements: ReadonlyArray<'last' | 'non-last'>): number[] {
  const axes: number[] = [];
  for (let axis = 1; axis < rank; axis++) {
    const placement = axis === rank - 1 ? 'last' : 'non-last';
    if (placements.includes(placement)) axes.push(axis, axis - rank);
  }
  return axes;
}

function architecturesFor(rank: number, allowed: Architecture[]): Architecture[] {
  return allowed.filter((architecture) => architecture !== 'conv' || rank === 4);
}

/** Throws when constraints leave nothing to generate, naming the field. */
export function validateConstraints(c: CaseConstraints): void {
  for (const rank of c.ranks) if (![2, 3, 4, 5].includes(rank)) throw new RangeError(`vary.ranks: ${rank}; allowed: 2, 3, 4, 5`);
  if (c.optimizers.length === 0) throw new RangeError('vary.optimizers: at least one optimizer');
  if (!c.ranks.some((rank) => architecturesFor(rank, c.architectures).length > 0 && axesFor(rank, c.axisPlacement).length > 0)) {
    throw new RangeError(
      `vary: no rank in [${c.ranks.join(', ')}] fits architectures [${c.architectures.join(', ')}] and axis placements [${c.axisPlacement.join(', ')}] (conv needs rank 4, a non-last axis rank >= 3)`,
    );
  }
  for (const [name, list] of Object.entries({ ranks: c.ranks, architectures: c.architectures, entryPoints: c.entryPoints, freeze: c.freeze, freezeTimings: c.freezeTimings, nested: c.nested, containers: c.containers, depths: c.depths, shared: c.shared, center: c.center, scale: c.scale, axisPlacement: c.axisPlacement })) {
    if (list.length === 0) throw new RangeError(`vary.${name}: empty; allow at least one value`);
  }
  for (const [name, range] of Object.entries({ spatial: c.spatial, channels: c.channels, batch: c.batch, steps: c.steps, momentum: c.momentum, epsilon: c.epsilon, dataMean: c.dataMean, dataScale: c.dataScale, classes: c.classes, learningRate: c.learningRate })) {
    if (!(range.min <= range.max)) throw new RangeError(`vary.${name}: min ${range.min} > max ${range.max}`);
  }
  if (c.epsilon.min <= 0) throw new RangeError(`vary.epsilon: min ${c.epsilon.min}; allowed: > 0`);
  if (c.momentum.min < 0 || c.momentum.max > 1) throw new RangeError(`vary.momentum: [${c.momentum.min}, ${c.momentum.max}]; allowed within [0, 1]`);
  if (c.batch.min < 1) throw new RangeError(`vary.batch: min ${c.batch.min}; allowed: >= 1`);
}

/**
 * Cases within the constraints. Structure (rank, architecture, shapes, axis) is chosen first and
 * the numbers after, so shrinking reaches small shapes and simple values.
 */
export function caseArbitrary(constraints: CaseConstraints): fc.Arbitrary<CaseSpec> {
  validateConstraints(constraints);
  const ranks = constraints.ranks.filter(
    (rank) => architecturesFor(rank, constraints.architectures).length > 0 && axesFor(rank, constraints.axisPlacement).length > 0,
  );
  return fc
    .record({
      rank: fc.constantFrom(...ranks),
      freeze: fc.constantFrom(...constraints.freeze),
      entryPoint: fc.constantFrom(...constraints.entryPoints),
    })
    .chain(({ rank, freeze, entryPoint }) => {
      const perSampleRank = rank - 1;
      return fc.record({
        rank: fc.constant(rank),
        freeze: fc.constant(freeze),
        entryPoint: fc.constant(entryPoint),
        architecture: fc.constantFrom(...architecturesFor(rank, constraints.architectures)),
        spatialDims: fc.array(int(constraints.spatial), { minLength: perSampleRank - 1, maxLength: perSampleRank - 1 }),
        channels: int(constraints.channels),
        hiddenUnits: int(constraints.channels),
        axis: fc.constantFrom(...axesFor(rank, constraints.axisPlacement)),
        nested: freeze === 'base' ? fc.constant(true) : fc.constantFrom(...constraints.nested),
        // A timing only matters when something is frozen.
        freezeTiming: freeze === 'none' ? fc.constant<FreezeTiming>('before-compile') : fc.constantFrom(...constraints.freezeTimings),
        container: fc.constantFrom(...constraints.containers),
        baseContainer: fc.constantFrom(...constraints.containers),
        depth: fc.constantFrom(...constraints.depths),
        shared: fc.constantFrom(...constraints.shared),
        center: fc.constantFrom(...constraints.center),
        scale: fc.constantFrom(...constraints.scale),
        momentum: momentum(constraints.momentum),
        epsilon: epsilon(constraints.epsilon),
        classes: int(constraints.classes),
        batch: int(constraints.batch),
        steps: int(constraints.steps),
        dataMean: dataMean(constraints.dataMean),
        dataScale: doubleWithEdges(constraints.dataScale),
        learningRate: fc.constantFrom(constraints.learningRate.min, constraints.learningRate.max),
        // A single optimizer draws nothing, so scenarios that do not vary it see the cases they always saw.
        optimizer: constraints.optimizers.length > 1 ? fc.constantFrom(...constraints.optimizers) : fc.constant(constraints.optimizers[0]),
        modelSeed: fc.nat({ max: 2 ** 31 - 1 }),
        dataSeed: fc.nat({ max: 2 ** 31 - 1 }),
      });
    })
    .map((g): CaseSpec => {
      const model: ModelSpec = {
        architecture: g.architecture,
        inputShape: [...g.spatialDims, g.channels],
        hiddenUnits: g.hiddenUnits,
        bn: { axis: g.axis, momentum: g.momentum, epsilon: g.epsilon, center: g.center, scale: g.scale, movingMeanInit: 0, movingVarianceInit: 1 },
        classes: g.classes,
        nested: g.nested,
        // Defaults stay absent, so a case written before these existed reads the same.
        ...(g.container !== 'functional' ? { container: g.container } : {}),
        ...(g.nested && g.baseContainer !== 'functional' ? { baseContainer: g.baseContainer } : {}),
        ...(g.nested && g.depth !== 1 ? { depth: g.depth } : {}),
        ...(g.shared ? { shared: true } : {}),
        seed: g.modelSeed,
      };
      return {
        model,
        data: { batch: g.batch, mean: Number(g.dataMean.toPrecision(6)), scale: Number(g.dataScale.toPrecision(6)), seed: g.dataSeed },
        freeze: g.freeze,
        ...(g.freezeTiming !== 'before-compile' ? { freezeTiming: g.freezeTiming } : {}),
        entryPoint: g.entryPoint,
        steps: g.steps,
        learningRate: g.learningRate,
        ...(g.optimizer !== 'sgd' ? { optimizer: g.optimizer } : {}),
      };
    });
}
