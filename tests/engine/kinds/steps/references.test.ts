import { checkStepReferences } from '../../../../src/engine/kinds/steps/references';
import { stepSchema, stepsDataSchema, stepsModelSchema, type Step } from '../../../../src/engine/kinds/steps/schema';

const model = stepsModelSchema.parse({ inputShape: [3] });
const withTargets = stepsDataSchema.parse({ batch: 2, x: { fill: 1 }, y: { fill: 0 } });
const steps = (...raw: unknown[]): Step[] => raw.map((s) => stepSchema.parse(s));

describe('checkStepReferences', () => {
  test('a program that makes every name before reading it has no issues', () => {
    const program = steps(
      { snapshot: { as: 'start' } },
      { callBn: { training: true, as: 'train' } },
      { predict: { as: 'pred' } },
      { compile: { loss: 'meanSquaredError' } },
      { trainOnBatch: { as: 'l1' } },
      { evaluate: { as: 'l2' } },
      { expectChanged: { since: 'start', kinds: ['moving_mean'] } },
      // bn_input is made by callBn; input is the data itself.
      { expectClose: { a: 'bn_input', b: 'input' } },
      { expectDiffer: { a: 'train', b: 'pred', minAbsSumDiff: 0 } },
      { expectLossEqual: { a: 'l1', b: 'l2', decimals: 3 } },
      { expectWeight: { weight: 'bn/moving_variance', fill: 1 } },
    );
    expect(checkStepReferences(model, withTargets, program)).toEqual([]);
  });

  test('a name of the wrong sort is named as such', () => {
    const issues = checkStepReferences(model, withTargets, steps({ snapshot: { as: 'x1' } }, { expectClose: { a: 'x1', b: 'input' } }));
    expect(issues).toEqual([{ path: ['steps', 1, 'expectClose', 'a'], message: "no tensor named 'x1' is made by an earlier step or the data section ('x1' is a snapshot); defined so far: x, input, y" }]);
  });

  test('weights follow the model: no gamma without scale, a head adds its kernel and bias', () => {
    const noScale = stepsModelSchema.parse({ inputShape: [3], bn: { scale: false }, head: { units: 2, activation: 'softmax' } });
    const issues = checkStepReferences(noScale, withTargets, steps({ expectWeight: { weight: 'bn/gamma', fill: 1 } }, { expectWeight: { weight: 'head/bias', fill: 0 } }));
    expect(issues).toEqual([{ path: ['steps', 0, 'expectWeight', 'weight'], message: "the model has no weight 'bn/gamma'; allowed: bn/beta, bn/moving_mean, bn/moving_variance, head/kernel, head/bias" }]);
  });

  test('expectWeight without values or fill, and training steps without targets', () => {
    const noTargets = stepsDataSchema.parse({ batch: 2, x: { fill: 1 } });
    const issues = checkStepReferences(model, noTargets, steps({ expectWeight: { weight: 'bn/beta' } }, { trainOnBatch: {} }, { evaluate: { as: 'e' } }));
    expect(issues.map((i) => i.path)).toEqual([
      ['steps', 0, 'expectWeight'],
      ['steps', 1, 'trainOnBatch'],
      ['steps', 2, 'evaluate'],
    ]);
  });
});

describe('checkStepReferences: the language extensions', () => {
  const issuesOf = (modelRaw: unknown, dataRaw: unknown, ...raw: unknown[]) => checkStepReferences(stepsModelSchema.parse(modelRaw), stepsDataSchema.parse(dataRaw), steps(...raw));

  test('axis 0 is the batch axis: only a bare layer may use it, and a bare layer is BN alone', () => {
    expect(issuesOf({ inputShape: [3], bn: { axis: 0 } }, { batch: 2, x: { fill: 1 } }).map((i) => i.path)).toEqual([['model', 'bn', 'axis']]);
    expect(issuesOf({ inputShape: [3], bare: true, bn: { axis: 0 } }, { batch: 2, x: { fill: 1 } })).toEqual([]);
    expect(issuesOf({ inputShape: [3], bare: true, head: { units: 1, activation: 'linear' } }, { batch: 2, x: { fill: 1 } })[0]).toMatchObject({ path: ['model', 'bare'], message: expect.stringContaining('remove head') });
  });

  test('literal values must fill what they are for: data, weights, initializers, golden outputs', () => {
    const issues = issuesOf(
      { architecture: 'dense', inputShape: [2], hiddenUnits: 3, features: { kernelInitializer: { values: [1, 2, 3] } } },
      { batch: 2, x: { values: [1, 2, 3] }, tensors: { t: { shape: [2, 2], values: [1] } } },
      { setWeight: { weight: 'bn/gamma', values: [1, 2] } },
      { callBn: { training: true, as: 'o' } },
      { expectOutput: { output: 'o', values: [1, 2] } },
    );
    expect(issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['model.features.kernelInitializer.values', 'features/kernel has shape [2, 3] (6 values); 3 given'],
      ['data.x.values', '3 values for a tensor of shape [2, 2] (4 values)'],
      ['data.tensors.t.values', '1 values for a tensor of shape [2, 2] (4 values)'],
      ['steps.0.setWeight.values', 'bn/gamma has shape [3] (3 values); 2 given'],
      ['steps.2.expectOutput.values', '2 values for o of shape [2, 3] (6 values)'],
    ]);
  });

  test('statistics: the axis must fit the tensor, and equals as many values as the statistic has', () => {
    const issues = issuesOf({ inputShape: [3] }, { batch: 2, x: { fill: 1 } }, { expectStatistic: { of: 'x', statistic: 'mean', axis: 2, equals: 0 } }, { expectStatistic: { of: 'x', statistic: 'mean', axis: -1, equals: [0, 0] } }, { expectStatistic: { of: 'x', statistic: 'mean', equals: { weight: 'bn/gamma' } } });
    expect(issues.map((i) => i.message)).toEqual([
      'axis 2 is outside the rank 2 of x (shape [2, 3])',
      'the statistic has 3 value(s) (one per index of axis -1); equals gives 2',
      'the statistic has 1 value(s) (over the whole tensor); equals gives 3',
    ]);
  });

  test('models, inputs and targets: the sibling must exist, a named input needs targets, a copy names an earlier tensor', () => {
    const issues = issuesOf(
      { inputShape: [3] },
      { batch: 2, x: { fill: 1 }, y: { fill: 0 }, tensors: { c: { copyOf: 'later' }, later: { fill: 2 } } },
      { predict: { as: 'p', on: 'sibling' } },
      { compile: { loss: 'meanSquaredError' } },
      { fit: { input: 'later' } },
      { trainOnBatch: { input: 'later', targets: 'x' } },
      { expectThrows: { step: { callBn: { training: true, input: 'nothing' } } } },
    );
    expect(issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['data.tensors.c.copyOf', 'no data tensor named \'later\' before this one; defined so far: x, input, y'],
      ['steps.0.predict.on', 'the sibling model needs model.sibling: true'],
      ['steps.2.fit.targets', "fit on input 'later' needs targets (a data tensor or an output)"],
      ['steps.4.expectThrows.step.callBn.input', "no tensor named 'nothing' is made by an earlier step or the data section; defined so far: x, input, y, c, later, p"],
    ]);
  });

  test('gradBn, batchNormOp and symbolicBn define what later steps read', () => {
    const issues = issuesOf(
      { inputShape: [3] },
      { batch: 2, x: { fill: 1 }, tensors: { m: { shape: [3], fill: 0 }, v: { shape: [3], fill: 1 } } },
      { gradBn: { training: true, as: 'g' } },
      { batchNormOp: { x: 'x', mean: 'm', variance: 'v', epsilon: 0.001, as: 'o' } },
      { symbolicBn: { shape: [null, 3], as: 's' } },
      { expectShape: { output: 's', shape: [null, 3] } },
      { expectShape: { output: 'g_dx', shape: [2, 3] } },
      { expectOutput: { output: 'g_dgamma', values: [0, 0, 0] } },
      { expectClose: { a: 'o', b: 'x' } },
    );
    expect(issues).toEqual([]);
  });
});
