import * as fs from 'node:fs';
import * as path from 'node:path';
import { INVARIANTS } from '../../../src/engine/invariants';
import { runScenario } from '../../../src/engine/run/run-scenario';
import { stepsScenarioSchema } from '../../../src/engine/scenarios/schema';
import type { StepsScenario } from '../../../src/engine/scenarios/types';
import { nodeInvariantContext } from '../../../src/hosts/node/services';
import { tfjsVersions } from '../../../src/hosts/node/tfjs';
import { loadScenarios } from '../../../src/surfaces/inputs/load-scenarios';
import { SHIPPED_SCENARIOS } from '../../../src/surfaces/paths';
import { captureSteps, renderStepsScript, writeStepsRepro } from '../../../src/surfaces/repro/steps-script';
import { verifyReproFiles } from '../../../src/surfaces/repro/verify';
import { reproPackageJson } from '../../../src/surfaces/repro/write-repro';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';
import { SECOND_ROUND_STEPS } from '../../helpers/fixtures';

const tempDir = useCpuAndTempDir('bn-suite-steps-repro-');

const shippedSteps = loadScenarios(SHIPPED_SCENARIOS)
  .map((l) => l.scenario)
  .filter((s): s is StepsScenario => s.kind === 'steps');

/** bn-suite's verdict on a steps scenario (cpu) and what its generated script says. */
async function bothVerdicts(scenario: StepsScenario): Promise<{ bnSuite: string; script: string; stdout: string; summary: string }> {
  const result = await runScenario(scenario, INVARIANTS[scenario.invariant], nodeInvariantContext('cpu', []), { seed: scenario.seed, runs: 1 });
  const script = renderStepsScript({ scenario, backend: 'cpu', capture: await captureSteps(scenario), bnSuiteVersion: 'test' });
  const verification = await verifyReproFiles(script, reproPackageJson('cpu'));
  // tfjs throwing is an error verdict in bn-suite, and in the script the step that throws, with tfjs's message (exit 1).
  const thrownLine = /step \d+ \(\w+\) throws: (.*)/.exec(verification.stdout)?.[1];
  const bnSuiteMessage = result.summary.split('\n')[0].replace(/^.*?: /, '').slice(0, 60);
  const scriptVerdict =
    verification.exitCode === 1 && verification.reproduces
      ? thrownLine === undefined
        ? 'fail'
        : result.status === 'error' && thrownLine.includes(bnSuiteMessage)
          ? 'error'
          : `script throws "${thrownLine}" where bn-suite says ${result.status}: ${result.summary}`
      : verification.exitCode === 0
        ? 'pass'
        : `script error (exit ${verification.exitCode}): ${verification.stderr.slice(0, 300)}`;
  return { bnSuite: result.status === 'error' ? 'error' : result.status, script: scriptVerdict, stdout: verification.stdout, summary: result.summary };
}

describe('steps-scenario repros', () => {
  test('cover the shipped steps scenarios (failing and passing ones)', () => {
    expect(shippedSteps.length).toBeGreaterThanOrEqual(10);
  });

  // The script is the program in plain tfjs: on every shipped steps scenario it must reach the
  // verdict bn-suite reaches, failing where bn-suite fails and holding where it holds.
  test.each(shippedSteps.map((s) => [s.id, s] as const))('%s: the script agrees with bn-suite on cpu', async (_id, scenario) => {
    const { bnSuite, script } = await bothVerdicts(scenario);
    expect(script).toBe(bnSuite);
  }, 60_000);

  test('the failing step is named with its numbers, and the first failure ends the script', async () => {
    const scenario = shippedSteps.find((s) => s.id === 'keras3/trainable-behavior-frozen')!;
    const { stdout } = await bothVerdicts(scenario);
    expect(stdout).toMatch(/step 3 \(expectClose\): out \[.*\] vs input \[.*\]: max abs diff 42\.\d+ \(atol 0\.000001, rtol 0\.000001\)/);
    expect(stdout).toContain('step 3 (expectClose) does not hold: out and input differ at 0:');
    expect(stdout.trim().split('\n').at(-1)).toBe('RESULT: reproduced');
  }, 60_000);

  test('every action and expectation of the language has a script form that agrees with bn-suite (one program using them all)', async () => {
    const program = (expectFrozenStats: 'expectUnchanged' | 'expectChanged') =>
      stepsScenarioSchema.parse({
        id: 'test/all-steps',
        kind: 'steps',
        description: 'every step kind',
        provenance: 'test',
        tags: ['frozen'],
        invariant: 'frozen-moving-stats',
        seed: 5,
        model: { architecture: 'dense', inputShape: [3], hiddenUnits: 4, nested: true, head: { units: 2, activation: 'softmax' } },
        data: { batch: 8, x: { gaussian: { mean: 1, scale: 2 } }, y: { labels: true } },
        steps: [
          { snapshot: { as: 'start' } },
          { freeze: 'base' },
          { unfreeze: 'base' },
          { freeze: 'bn' },
          { compile: { loss: 'categoricalCrossentropy', learningRate: 0.1 } },
          { evaluate: { as: 'loss0' } },
          { evaluate: { as: 'loss0again', batchSize: 4 } },
          { expectLossEqual: { a: 'loss0', b: 'loss0again', decimals: 5 } },
          { predict: { as: 'p0' } },
          { callModel: { training: false, as: 'c0' } },
          { expectClose: { a: 'p0', b: 'c0', atol: 1e-6, rtol: 1e-6 } },
          { callBn: { training: false, as: 'bnInference' } },
          { callBn: { training: true, times: 2, as: 'bnTraining' } },
          { expectDiffer: { a: 'bnInference', b: 'bnTraining' } },
          { expectDiffer: { a: 'bnInference', b: 'bnTraining', minAbsSumDiff: 0 } },
          { snapshot: { as: 'beforeFit' } },
          { fit: { epochs: 2, batchSize: 4 } },
          { trainOnBatch: { times: 2, as: 'tob' } },
          { expectChanged: { since: 'beforeFit', kinds: ['kernel'] } },
          { saveReload: { via: 'memory' } },
          { expectWeight: { weight: 'bn/gamma', fill: 1, atol: 0, rtol: 0 } },
          { unfreeze: 'bn' },
          { callBn: { training: true, as: 'normalized' } },
          { expectNormalized: { output: 'normalized', atol: 0.01 } },
          { [expectFrozenStats]: { since: 'start', kinds: ['moving_mean', 'moving_variance'] } },
        ],
      }) as StepsScenario;
    // tfjs moves a frozen BN's moving statistics in training mode: expectUnchanged fails at the
    // last step, expectChanged holds; the script must say the same both ways.
    const failing = await bothVerdicts(program('expectUnchanged'));
    expect(failing).toMatchObject({ summary: expect.stringContaining('step 25 (expectUnchanged)'), bnSuite: 'fail', script: 'fail' });
    expect(failing.stdout).toContain('step 25 (expectUnchanged) does not hold');
    expect(failing.stdout).not.toMatch(/step \d+ \(\w+\) does not hold[\s\S]*step \d+ \(\w+\) does not hold/);
    const holding = await bothVerdicts(program('expectChanged'));
    expect(holding).toMatchObject({ bnSuite: 'pass', script: 'pass' });
    expect(holding.stdout).toContain('every expectation holds');
  }, 120_000);

  test('the language extensions have script forms that agree with bn-suite (one program using them all)', async () => {
    const program = (last: Record<string, unknown>) =>
      stepsScenarioSchema.parse({
        id: 'test/all-extensions',
        kind: 'steps',
        description: 'every step kind added for the upstream translations',
        provenance: 'test',
        tags: ['oracle'],
        invariant: 'oracle-agreement',
        seed: 3,
        model: {
          architecture: 'dense',
          inputShape: [3],
          hiddenUnits: 3,
          features: { kernelInitializer: 'identity', useBias: false, activation: 'relu' },
          head: { units: 2, activation: 'linear', kernelInitializer: { values: [1, 0, 0, 1, 1, 1] }, useBias: false },
          sibling: true,
          twin: { bn: { epsilon: 0.5 } },
        },
        data: {
          batch: 4,
          x: { uniform: { min: 0, max: 1 } },
          y: { values: [1, 2, 3, 4, 5, 6, 7, 8] },
          tensors: { second: { shape: [2, 3], values: [1, 2, 3, 4, 5, 6] }, dy: { shape: [4, 3], fill: 2 }, masked: { copyOf: 'x', set: { axis: 1, index: 0, value: 0 } }, mm: { shape: [3], fill: 0 }, mv: { shape: [3], fill: 1 } },
        },
        steps: [
          { snapshot: { as: 'start' } },
          { expectWeightCount: { of: 'bn', trainable: 2, nonTrainable: 2, trainableNames: ['bn/gamma', 'bn/beta'] } },
          { setWeight: { weight: 'bn/moving_mean', values: [1, 2, 3] } },
          { callBn: { training: false, input: 'second', as: 'inf' } },
          { expectShape: { output: 'inf', shape: [2, 3] } },
          { expectOutput: { output: 'inf', values: [0, 0, 0, 2.998501, 2.998501, 2.998501], atol: 1e-5 } },
          { callBn: { training: true, times: 3, chain: true, as: 'chained' } },
          { expectStatistic: { of: 'chained', statistic: 'mean', axis: -1, unscale: true, equals: 0, atol: 1e-5 } },
          { expectNormalized: { output: 'chained', atol: 1e-2 } },
          { gradBn: { training: true, cotangent: 'dy', as: 'g' } },
          { expectStatistic: { of: 'g_dbeta', statistic: 'mean', equals: 8, atol: 1e-5 } },
          { batchNormOp: { x: 'second', mean: 'mm', variance: 'mv', epsilon: 0, as: 'op' } },
          { expectClose: { a: 'op', b: 'second', atol: 1e-6 } },
          { symbolicBn: { shape: [null, 5], as: 'sym' } },
          { expectShape: { output: 'sym', shape: [null, 5] } },
          { expectThrows: { step: { symbolicBn: { shape: [null, 5], options: { axis: 0 } } }, message: 'defined dimension' } },
          { compile: { optimizer: 'rmsprop', loss: 'meanAbsoluteError' } },
          { fit: { epochs: 3, as: 'hist' } },
          { trainOnBatch: { input: 'masked', targets: 'y', as: 'tob' } },
          { evaluate: { as: 'ev', input: 'masked' , targets: 'y' } },
          { callModel: { training: false, input: 'masked', as: 'cm' } },
          { freeze: { target: 'bn', on: 'twin' } },
          { compile: { optimizer: 'adam', learningRate: 0.1, loss: 'meanSquaredError', on: 'twin' } },
          { trainOnBatch: { on: 'twin' } },
          { predict: { as: 'p', on: 'twin' } },
          { expectWeightCount: { of: 'twin', trainable: 2, nonTrainable: 4 } },
          { callModel: { training: false, on: 'sibling', as: 'sib' } },
          { expectShape: { output: 'sib', shape: [4, 3] } },
          { saveReload: { via: 'memory', on: 'twin' } },
          { expectChanged: { since: 'start', kinds: ['moving_mean'] } },
          last,
        ],
      }) as StepsScenario;
    const failing = await bothVerdicts(program({ expectLoss: { of: 'hist', values: [0, 0, 0], atol: 1e-3 } }));
    expect(failing).toMatchObject({ summary: expect.stringContaining('step 31 (expectLoss)'), bnSuite: 'fail', script: 'fail' });
    expect(failing.stdout).toContain('step 31 (expectLoss) does not hold: loss hist[0] =');
    const holding = await bothVerdicts(program({ expectLoss: { of: 'hist', decreasing: true } }));
    expect(holding).toMatchObject({ bnSuite: 'pass', script: 'pass' });
    expect(holding.stdout).toContain('step 16 (expectThrows): symbolicBn threw "Error: Axis 0 of input tensor should have a defined dimension');
  }, 120_000);

  test('regularizers, constraints, config, whole-model freezing, partial gradients, readWeight, TimeDistributed: the script agrees with bn-suite', async () => {
    const program = (model: Record<string, unknown>, steps: unknown[]) =>
      stepsScenarioSchema.parse({ id: 'test/more-extensions', kind: 'steps', description: 'd', provenance: 'test', tags: ['oracle'], invariant: 'oracle-agreement', model, data: { batch: 4, x: { uniform: { min: 0, max: 1 } }, y: { sameAs: 'x' } }, steps }) as StepsScenario;
    const model = { inputShape: [3], container: 'sequential', bn: { gammaRegularizer: { l2: 0.5 }, betaRegularizer: { l1: 0.1 }, gammaConstraint: 'nonNeg', momentum: 0.5 } };
    const steps = [
      { expectLayerLosses: { of: 'bn', count: 2, values: [1.5, 0], atol: 1e-6 } },
      { expectConstraint: { weight: 'bn/gamma', className: 'NonNeg' } },
      { expectConfig: { of: 'bn', values: { momentum: 0.5, center: true, gammaInitializer: { className: 'Constant', config: { value: 1 } }, movingVarianceInitializer: { className: 'Constant', config: { value: 1 } } } } },
      ...SECOND_ROUND_STEPS,
    ];
    const both = await bothVerdicts(program(model, steps));
    expect(both).toMatchObject({ bnSuite: 'fail', script: 'fail', summary: 'step 14 (expectThrows): symbolicBn did not throw' });
    expect(both.stdout).toContain('step 14 (expectThrows) does not hold: symbolicBn did not throw');
    const timeDistributed = await bothVerdicts(program({ inputShape: [10, 3], timeDistributed: true }, [{ compile: { loss: 'meanSquaredError' } }, { trainOnBatch: {} }, { expectWeight: { weight: 'bn/moving_variance', fill: 1, atol: 0.001 } }]));
    expect(timeDistributed).toMatchObject({ bnSuite: 'fail', script: 'fail' });
  }, 120_000);

  test('a step on which tfjs throws: bn-suite says error, the script prints the throw and reproduces (rank 5, tfjs#8011)', async () => {
    const scenario = stepsScenarioSchema.parse({
      id: 'test/rank-5',
      kind: 'steps',
      description: 'rank 5',
      provenance: 'test',
      tags: ['oracle'],
      invariant: 'oracle-agreement',
      model: { inputShape: [2, 2, 2, 3] },
      data: { batch: 2, x: { gaussian: { mean: 0, scale: 1 } } },
      steps: [{ callBn: { training: true, as: 'out' } }],
    }) as StepsScenario;
    const both = await bothVerdicts(scenario);
    expect(both).toMatchObject({ bnSuite: 'error', script: 'error' });
    expect(both.stdout).toContain('step 1 (callBn) throws: Error: batchNormalization is not implemented for array of rank 5 yet');
  }, 60_000);

  test('writeStepsRepro writes repro.mjs, a pinned package.json and ISSUE.md quoting the program and what the script printed', async () => {
    const scenario = shippedSteps.find((s) => s.id === 'tf-keras/trainable-false-fit')!;
    const dir = path.join(tempDir(), 'repro');
    const report = await writeStepsRepro({ scenario, backend: 'cpu', dir, versions: tfjsVersions(), runSummary: 'bn-suite summary line' });
    expect(fs.readdirSync(dir).sort()).toEqual(['ISSUE.md', 'package.json', 'repro.mjs']);
    expect(report.verification).toMatchObject({ exitCode: 1, reproduces: true });
    const issue = fs.readFileSync(path.join(dir, 'ISSUE.md'), 'utf8');
    expect(issue).toContain(`Upstream test: ${scenario.provenance}`);
    expect(issue).toContain('bn-suite summary line');
    expect(issue).toMatch(/ 1\. \{"/);
    expect(issue).toContain('RESULT: reproduced');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).dependencies).toEqual({
      '@tensorflow/tfjs-core': tfjsVersions()['@tensorflow/tfjs-core'],
      '@tensorflow/tfjs-layers': tfjsVersions()['@tensorflow/tfjs-layers'],
      '@tensorflow/tfjs-backend-cpu': tfjsVersions()['@tensorflow/tfjs-backend-cpu'],
    });
  }, 60_000);
});
