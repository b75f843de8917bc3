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
