import * as path from 'node:path';
import { fc, test } from '@fast-check/jest';
import { caseArbitrary, DEFAULT_CONSTRAINTS, validateConstraints, type CaseConstraints } from '../../../src/engine/arbitraries/case';
import { activateBackend, probeBackend } from '../../../src/hosts/node/backends';
import { validateModelSpec } from '../../../src/engine/models/build';
import { disposeCase, prepareCase } from '../../../src/engine/run/case-run';
import type { CaseSpec } from '../../../src/engine/run/case-spec';
import { loadScenarios } from '../../../src/surfaces/inputs/load-scenarios';
import { tf } from '../../../src/hosts/node/tfjs';
import { silenceTfjsBanner } from '../../../src/engine/tfjs';

const SHIPPED = path.resolve(__dirname, '../../../scenarios');

/** Every shipped property scenario's constraints, built the way runScenario builds them. */
const scenarioConstraints: Array<[string, CaseConstraints]> = loadScenarios(SHIPPED).flatMap((l) =>
  l.scenario.kind === 'property' ? [[l.scenario.id, { ...DEFAULT_CONSTRAINTS, ...l.scenario.vary } as CaseConstraints] as [string, CaseConstraints]] : [],
);

const within = (value: number, range: { min: number; max: number }) => value >= range.min && value <= range.max;

/** What a generated case breaks of the constraints (empty when it respects them all). */
function violations(spec: CaseSpec, c: CaseConstraints): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => void (ok || problems.push(what));
  const rank = spec.model.inputShape.length + 1;
  const axis = spec.model.bn.axis;
  const positiveAxis = axis < 0 ? axis + rank : axis;
  check(c.ranks.includes(rank), `rank ${rank}`);
  check(c.architectures.includes(spec.model.architecture), `architecture ${spec.model.architecture}`);
  check(c.entryPoints.includes(spec.entryPoint), `entryPoint ${spec.entryPoint}`);
  check(c.freeze.includes(spec.freeze), `freeze ${spec.freeze}`);
  check(c.center.includes(spec.model.bn.center), 'center');
  check(c.scale.includes(spec.model.bn.scale), 'scale');
  check(positiveAxis >= 1 && positiveAxis < rank, `axis ${axis} at rank ${rank}`);
  check(c.axisPlacement.includes(positiveAxis === rank - 1 ? 'last' : 'non-last'), `axis placement of ${axis} at rank ${rank}`);
  check(spec.model.architecture !== 'conv' || rank === 4, `conv at rank ${rank}`);
  check(spec.freeze === 'base' ? spec.model.nested : c.nested.includes(spec.model.nested), `nested ${spec.model.nested} with freeze ${spec.freeze}`);
  const channels = spec.model.inputShape[spec.model.inputShape.length - 1];
  check(within(channels, c.channels), `channels ${channels}`);
  check(spec.model.inputShape.slice(0, -1).every((dim) => within(dim, c.spatial)), `spatial ${spec.model.inputShape}`);
  check(within(spec.model.hiddenUnits, c.channels), `hiddenUnits ${spec.model.hiddenUnits}`);
  check(within(spec.data.batch, c.batch), `batch ${spec.data.batch}`);
  check(within(spec.steps, c.steps), `steps ${spec.steps}`);
  check(within(spec.model.classes, c.classes), `classes ${spec.model.classes}`);
  check(within(spec.model.bn.momentum, c.momentum), `momentum ${spec.model.bn.momentum}`);
  check(within(spec.model.bn.epsilon, c.epsilon), `epsilon ${spec.model.bn.epsilon}`);
  check(within(spec.data.mean, c.dataMean), `dataMean ${spec.data.mean}`);
  check(within(spec.data.scale, c.dataScale), `dataScale ${spec.data.scale}`);
  check(spec.learningRate === c.learningRate.min || spec.learningRate === c.learningRate.max, `learningRate ${spec.learningRate}`);
  check(Number.isInteger(spec.model.seed) && Number.isInteger(spec.data.seed), 'seeds');
  return problems;
}

/** Fails with the list of broken constraints. */
function expectRespects(spec: CaseSpec, c: CaseConstraints): void {
  expect(violations(spec, c)).toEqual([]);
}

describe('caseArbitrary: validity without tfjs', () => {
  test('the constraint checker itself flags broken cases (so the properties below can fail)', () => {
    const [spec] = fc.sample(caseArbitrary(DEFAULT_CONSTRAINTS), { numRuns: 1, seed: 1 });
    expect(violations(spec, DEFAULT_CONSTRAINTS)).toEqual([]);
    const broken: CaseSpec = { ...spec, freeze: 'base', model: { ...spec.model, nested: false, architecture: 'conv', inputShape: [2, 3], bn: { ...spec.model.bn, axis: 1, momentum: 2 } } };
    expect(violations(broken, DEFAULT_CONSTRAINTS)).toEqual(
      expect.arrayContaining(['conv at rank 3', 'nested false with freeze base', 'axis placement of 1 at rank 3', 'momentum 2']),
    );
  });

  test.prop([caseArbitrary(DEFAULT_CONSTRAINTS)], { numRuns: 150 })('default constraints: valid model spec, constraints respected', (spec) => {
    expect(() => validateModelSpec(spec.model)).not.toThrow();
    expectRespects(spec, DEFAULT_CONSTRAINTS);
  });

  const wide: CaseConstraints = {
    ...DEFAULT_CONSTRAINTS,
    freeze: ['bn', 'base', 'none'],
    nested: [false],
    center: [true, false],
    scale: [true, false],
    axisPlacement: ['last', 'non-last'],
  };
  test.prop([caseArbitrary(wide)], { numRuns: 150 })('wide constraints: any axis, freeze base forces nesting', (spec) => {
    expect(() => validateModelSpec(spec.model)).not.toThrow();
    expectRespects(spec, wide);
  });

  test.each(scenarioConstraints)('shipped scenario %s: 25 sampled cases are valid and respect its vary', (_id, constraints) => {
    for (const spec of fc.sample(caseArbitrary(constraints), { numRuns: 25, seed: 11 })) {
      expect(() => validateModelSpec(spec.model)).not.toThrow();
      expectRespects(spec, constraints);
    }
  });

  test('axisPlacement last => the axis is the last one; non-last => never the last one', () => {
    for (const spec of fc.sample(caseArbitrary({ ...DEFAULT_CONSTRAINTS, axisPlacement: ['last'] }), { numRuns: 100, seed: 3 })) {
      const rank = spec.model.inputShape.length + 1;
      expect([rank - 1, -1]).toContain(spec.model.bn.axis);
    }
    const nonLast = fc.sample(caseArbitrary({ ...DEFAULT_CONSTRAINTS, axisPlacement: ['non-last'] }), { numRuns: 100, seed: 3 });
    for (const spec of nonLast) {
      const rank = spec.model.inputShape.length + 1;
      expect(rank).toBeGreaterThanOrEqual(3);
      expect([rank - 1, -1]).not.toContain(spec.model.bn.axis);
    }
    // Both spellings of an axis (positive and negative) are generated.
    expect(nonLast.some((s) => s.model.bn.axis < 0) && nonLast.some((s) => s.model.bn.axis > 0)).toBe(true);
  });

  test('conv is generated only at rank 4, and ranks that fit no architecture are skipped', () => {
    const samples = fc.sample(caseArbitrary({ ...DEFAULT_CONSTRAINTS, ranks: [2, 3, 4], architectures: ['conv'] }), { numRuns: 100, seed: 5 });
    expect(samples.every((s) => s.model.architecture === 'conv' && s.model.inputShape.length === 3)).toBe(true);
    const mixed = fc.sample(caseArbitrary({ ...DEFAULT_CONSTRAINTS, architectures: ['conv', 'dense'] }), { numRuns: 200, seed: 5 });
    expect(mixed.filter((s) => s.model.architecture === 'conv').every((s) => s.model.inputShape.length === 3)).toBe(true);
    expect(mixed.some((s) => s.model.architecture === 'conv')).toBe(true);
    expect(mixed.some((s) => s.model.architecture === 'dense' && s.model.inputShape.length !== 3)).toBe(true);
  });

  test("freeze 'base' always nests, even when the scenario allows only nested: false", () => {
    const samples = fc.sample(caseArbitrary({ ...DEFAULT_CONSTRAINTS, freeze: ['base', 'bn'], nested: [false] }), { numRuns: 200, seed: 8 });
    expect(samples.filter((s) => s.freeze === 'base').every((s) => s.model.nested)).toBe(true);
    expect(samples.filter((s) => s.freeze === 'bn').every((s) => !s.model.nested)).toBe(true);
    expect(samples.some((s) => s.freeze === 'base')).toBe(true);
  });

  test('momentum 0, dataScale 0 and the range bounds are reachable', () => {
    const samples = fc.sample(caseArbitrary(DEFAULT_CONSTRAINTS), { numRuns: 400, seed: 42 });
    expect(samples.some((s) => s.model.bn.momentum === 0)).toBe(true);
    expect(samples.some((s) => s.data.scale === 0)).toBe(true);
    expect(samples.some((s) => s.model.bn.momentum === DEFAULT_CONSTRAINTS.momentum.max)).toBe(true);
    expect(samples.some((s) => s.data.mean === DEFAULT_CONSTRAINTS.dataMean.max || s.data.mean === DEFAULT_CONSTRAINTS.dataMean.min)).toBe(true);
    expect(samples.filter((s) => Math.abs(s.data.mean) <= 5).length).toBeGreaterThan(samples.length / 2);
  });

  // KNOWN BUG (see report): fc.double draws uniformly over float representations, so almost every
  // draw in [0, 0.999] is below 1e-4; momentum then rounds to 0 in ~85% of cases, and dataScale
  // (and the moderate dataMean) are ~1e-100 most of the time. The edges should be special values,
  // not the bulk of the distribution. Flip to `test` once src/arbitraries/case.ts draws uniformly.
  test('momentum, dataScale and dataMean are spread over their ranges, edges the exception', () => {
    const samples = fc.sample(caseArbitrary(DEFAULT_CONSTRAINTS), { numRuns: 400, seed: 42 });
    const share = (predicate: (s: CaseSpec) => boolean) => samples.filter(predicate).length / samples.length;
    expect(share((s) => s.model.bn.momentum === 0)).toBeLessThan(0.25);
    expect(share((s) => s.model.bn.momentum >= 0.5)).toBeGreaterThan(0.25);
    expect(share((s) => s.data.scale >= 1)).toBeGreaterThan(0.5);
    expect(share((s) => Math.abs(s.data.mean) >= 0.5)).toBeGreaterThan(0.5);
  });

  test('epsilon spreads over decades within its range', () => {
    const eps = fc.sample(caseArbitrary(DEFAULT_CONSTRAINTS), { numRuns: 300, seed: 9 }).map((s) => s.model.bn.epsilon);
    expect(eps.some((e) => e < 1e-4)).toBe(true);
    expect(eps.some((e) => e > 1e-2)).toBe(true);
  });

  test('a pinned value is the only value generated', () => {
    const pinned: CaseConstraints = { ...DEFAULT_CONSTRAINTS, ranks: [2], architectures: ['bn-only'], entryPoints: ['layerApply'], batch: { min: 4, max: 4 }, classes: { min: 0, max: 0 } };
    for (const spec of fc.sample(caseArbitrary(pinned), { numRuns: 50, seed: 1 })) {
      expect(spec).toMatchObject({ entryPoint: 'layerApply', data: { batch: 4 }, model: { architecture: 'bn-only', classes: 0 } });
      expect(spec.model.inputShape).toHaveLength(1);
    }
  });
});

describe('validateConstraints', () => {
  test('the defaults are valid', () => {
    expect(() => validateConstraints(DEFAULT_CONSTRAINTS)).not.toThrow();
  });

  test.each<[string, Partial<CaseConstraints>, RegExp]>([
    ['rank 6', { ranks: [2, 6] }, /vary\.ranks: 6; allowed: 2, 3, 4, 5/],
    ['conv without rank 4', { ranks: [2, 3], architectures: ['conv'] }, /vary: no rank in \[2, 3\] fits architectures \[conv\].*conv needs rank 4/],
    ['non-last axis at rank 2', { ranks: [2], axisPlacement: ['non-last'] }, /no rank in \[2\].*axis placements \[non-last\]/],
    ['no ranks', { ranks: [] }, /no rank in \[\]/],
    ['empty entry points', { entryPoints: [] }, /vary\.entryPoints: empty/],
    ['empty freeze', { freeze: [] }, /vary\.freeze: empty/],
    ['empty center', { center: [] }, /vary\.center: empty/],
    ['min > max', { batch: { min: 8, max: 2 } }, /vary\.batch: min 8 > max 2/],
    ['NaN bound', { channels: { min: Number.NaN, max: 2 } }, /vary\.channels: min NaN > max 2/],
    ['epsilon 0', { epsilon: { min: 0, max: 0.1 } }, /vary\.epsilon: min 0; allowed: > 0/],
    ['momentum above 1', { momentum: { min: 0, max: 1.5 } }, /vary\.momentum: \[0, 1\.5\]; allowed within \[0, 1\]/],
    ['negative momentum', { momentum: { min: -0.1, max: 0.5 } }, /vary\.momentum/],
    ['batch 0', { batch: { min: 0, max: 4 } }, /vary\.batch: min 0; allowed: >= 1/],
  ])('%s', (_label, override, message) => {
    const constraints = { ...DEFAULT_CONSTRAINTS, ...override };
    expect(() => validateConstraints(constraints)).toThrow(RangeError);
    expect(() => validateConstraints(constraints)).toThrow(message);
    expect(() => caseArbitrary(constraints)).toThrow(message);
  });
});

describe('caseArbitrary: prepareCase on the cpu backend', () => {
  beforeAll(async () => {
    silenceTfjsBanner();
    const status = await probeBackend('cpu');
    if (!status.available) throw new Error(`cpu backend unavailable: ${status.reason}`);
    await activateBackend('cpu');
  });

  async function prepareAndCheck(spec: CaseSpec): Promise<void> {
    const before = tf.memory().numTensors;
    const run = await prepareCase(spec);
    try {
      expect(run.x.shape).toEqual([spec.data.batch, ...spec.model.inputShape]);
      if (spec.model.classes > 0) {
        expect(run.y.shape).toEqual([spec.data.batch, spec.model.classes]);
        expect(run.labels).toHaveLength(spec.data.batch);
        expect(Array.from(run.labels).every((l) => l >= 0 && l < spec.model.classes)).toBe(true);
      } else {
        expect(run.y.shape[0]).toBe(spec.data.batch);
        expect(run.labels).toHaveLength(0);
      }
      if (spec.freeze === 'bn') expect(run.built.bn.trainable).toBe(false);
      if (spec.freeze === 'base') expect(run.built.base?.trainable).toBe(false);
    } finally {
      disposeCase(run);
    }
    expect(tf.memory().numTensors).toBe(before);
  }

  test.prop([caseArbitrary({ ...DEFAULT_CONSTRAINTS, batch: { min: 1, max: 16 }, freeze: ['bn', 'base', 'none'] })], { numRuns: 25 })(
    'default-like constraints: prepareCase accepts every case and disposeCase frees it',
    async (spec) => prepareAndCheck(spec),
  );

  test.each(scenarioConstraints)('shipped scenario %s: prepareCase accepts sampled cases', async (_id, constraints) => {
    for (const spec of fc.sample(caseArbitrary(constraints), { numRuns: 3, seed: 23 })) await prepareAndCheck(spec);
  });
});

describe('vary.optimizers', () => {
  test('several optimizers are all drawn; sgd (the default) stays absent from the case', () => {
    const cases = fc.sample(caseArbitrary({ ...DEFAULT_CONSTRAINTS, optimizers: ['sgd', 'momentum', 'adam'] }), { numRuns: 200, seed: 7 });
    expect(new Set(cases.map((c) => c.optimizer ?? 'sgd'))).toEqual(new Set(['sgd', 'momentum', 'adam']));
    expect(cases.some((c) => 'optimizer' in c && c.optimizer === 'sgd')).toBe(false);
  });

  test('one optimizer draws nothing: the cases are those of the same seed without the key', () => {
    const plain = fc.sample(caseArbitrary(DEFAULT_CONSTRAINTS), { numRuns: 20, seed: 3 });
    const adam = fc.sample(caseArbitrary({ ...DEFAULT_CONSTRAINTS, optimizers: ['adam'] }), { numRuns: 20, seed: 3 });
    expect(adam.map(({ optimizer, ...rest }) => ({ optimizer, rest }))).toEqual(plain.map((rest) => ({ optimizer: 'adam', rest })));
  });
});
