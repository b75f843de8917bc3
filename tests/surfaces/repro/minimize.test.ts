import { z } from 'zod';
import { nodeInvariantContext } from '../../../src/hosts/node/services';
import { DEFAULT_CONSTRAINTS } from '../../../src/engine/arbitraries/case';
import { activateBackend, probeBackend } from '../../../src/hosts/node/backends';
import { UsageError } from '../../../src/engine/errors';
import { INVARIANTS } from '../../../src/engine/invariants';
import { defineInvariant, type InvariantContext } from '../../../src/engine/invariants/types';
import { caseElements, errorMessageClass, minimizeCase, sameFailure } from '../../../src/surfaces/repro/minimize';
import type { CaseSpec } from '../../../src/engine/run/case-spec';
import { checkCase } from '../../../src/engine/run/check-case';
import { runProperty } from '../../../src/engine/run/property';
import { caseSpec } from '../../helpers/fixtures';

const context: InvariantContext = nodeInvariantContext('cpu', []);

beforeAll(async () => {
  const cpu = await probeBackend('cpu');
  if (!cpu.available) throw new Error(`cpu backend unavailable: ${cpu.reason}`);
  await activateBackend('cpu');
});

/** A large unshrunk counterexample: the first failing case fast-check draws, shrinking off. */
async function rawCounterexample(seed: number, vary: Partial<typeof DEFAULT_CONSTRAINTS>) {
  const outcome = await runProperty(INVARIANTS['frozen-moving-stats'], { ...DEFAULT_CONSTRAINTS, ...vary }, context, { seed, runs: 10, shrink: false });
  if (outcome.counterexample === null) throw new Error(`seed ${seed} found no failure`);
  return outcome.counterexample;
}

describe('minimizeCase', () => {
  test.each([
    [1, { entryPoints: ['fit' as const], freeze: ['bn' as const] }],
    [3, { entryPoints: ['trainOnBatch' as const], freeze: ['base' as const] }],
  ])('seed %i: reduces an unshrunk frozen-BN counterexample and still fails', async (seed, vary) => {
    const raw = await rawCounterexample(seed, vary);
    const result = await minimizeCase(INVARIANTS['frozen-moving-stats'], raw.spec, context, { verdict: raw.verdict });
    expect(result.verdict.status).toBe('fail');
    expect(caseElements(result.spec)).toBeLessThanOrEqual(caseElements(raw.spec));
    expect(result.attempts).toBeGreaterThanOrEqual(result.reductions.length);
    expect(result.original).toEqual(raw.spec);
    // The point of the case is kept: the entry point and what is frozen.
    expect(result.spec.entryPoint).toBe(raw.spec.entryPoint);
    expect(result.spec.freeze).toBe(raw.spec.freeze);
    if (raw.spec.freeze === 'base') expect(result.spec.model.nested).toBe(true);
    // Independently re-checked: never a passing case.
    expect((await checkCase(INVARIANTS['frozen-moving-stats'], result.spec, context)).status).toBe('fail');
  }, 20_000);

  test('drops a container layout and freeze timing the failure does not depend on', async () => {
    const spec = caseSpec({ nested: true, container: 'sequential', baseContainer: 'sequential', depth: 2, shared: true, freeze: 'bn', freezeTiming: 'unfreeze-refreeze' });
    const result = await minimizeCase(INVARIANTS['frozen-moving-stats'], spec, context);
    expect(result.verdict.status).toBe('fail');
    for (const field of ['container', 'baseContainer', 'depth', 'shared'] as const) expect(result.spec.model[field]).toBeUndefined();
    expect(result.spec.freezeTiming).toBeUndefined();
    expect(result.spec.model.nested).toBe(false);
  }, 20_000);

  test('keeps whatever the failure depends on, and every accepted step still fails', async () => {
    // A stand-in invariant that fails only for dense models, batch >= 3 and two per-sample dims.
    const fails = (s: CaseSpec) => s.model.architecture === 'dense' && s.data.batch >= 3 && s.model.inputShape.length === 2;
    const seen: Array<{ spec: CaseSpec; failed: boolean }> = [];
    const picky = defineInvariant({
      id: 'frozen-moving-stats',
      title: 'test',
      contract: 'test',
      evidence: z.object({}).strict(),
      async check(spec) {
        seen.push({ spec, failed: fails(spec) });
        return fails(spec) ? { status: 'fail', summary: 'picky', evidence: {}, fingerprint: { parts: ['picky'], magnitude: null } } : { status: 'pass', evidence: {} };
      },
    });
    const start: CaseSpec = {
      model: {
        architecture: 'dense',
        inputShape: [3, 4],
        hiddenUnits: 4,
        bn: { axis: -1, momentum: 0.5, epsilon: 0.05, center: true, scale: true, movingMeanInit: 0, movingVarianceInit: 1 },
        classes: 3,
        nested: true,
        seed: 1,
      },
      data: { batch: 9, mean: 3.7, scale: 12.2, seed: 2 },
      freeze: 'bn',
      entryPoint: 'fit',
      steps: 3,
      learningRate: 0.1,
    };
    const result = await minimizeCase(picky, start, context);
    expect(fails(result.spec)).toBe(true);
    expect(result.spec.model.architecture).toBe('dense');
    expect(result.spec.data.batch).toBe(9);
    expect(result.spec.model.inputShape).toEqual([1, 1]);
    expect(result.spec).toMatchObject({ steps: 1, learningRate: 0.01, model: { nested: false, hiddenUnits: 1, classes: 2, bn: { momentum: 0.99, epsilon: 1e-3 } }, data: { mean: 1, scale: 0 } });
    expect(result.attempts).toBe(seen.length);
    // The accepted specs are exactly the failing ones seen after the first check.
    expect(seen.filter((s) => s.failed).length).toBe(result.reductions.length + 1);
  });

  test('a passing case is refused', async () => {
    const passing = defineInvariant({ id: 'frozen-moving-stats', title: 't', contract: 't', evidence: z.object({}).strict(), check: async () => ({ status: 'pass', evidence: {} }) });
    const spec = (await rawCounterexample(1, { entryPoints: ['fit'], freeze: ['bn'] })).spec;
    await expect(minimizeCase(passing, spec, context)).rejects.toThrow(UsageError);
  }, 20_000);
});

describe('sameFailure', () => {
  const failing = (...parts: string[]) => ({ status: 'fail' as const, summary: 's', evidence: {}, fingerprint: { parts, magnitude: 1 } });
  const reference = failing('bn/moving_variance');

  test('a smaller case must keep a part of the fault', () => {
    expect(sameFailure(reference, failing('bn/moving_variance'))).toBe(true);
    expect(sameFailure(reference, failing('bn/gamma'))).toBe(false);
    expect(sameFailure(reference, { status: 'pass', evidence: {} })).toBe(false);
  });

  test('an error stays the same error: its name and message, the numbers aside (a smaller case has other sizes)', () => {
    const thrown = (errorName: string, message: string) => ({ status: 'error' as const, summary: `${errorName}: ${message}`, evidence: { message, errorName, at: null } });
    expect(errorMessageClass('Error', 'Size(24) must match the product of shape 1,3,1\n  more')).toBe('Error: Size(#) must match the product of shape #,#,#');
    const sizes = thrown('Error', 'Size(24) must match the product of shape 1,3,1');
    expect(sameFailure(sizes, thrown('Error', 'Size(2) must match the product of shape 1,1,1'))).toBe(true);
    expect(sameFailure(sizes, thrown('TypeError', 'Size(2) must match the product of shape 1,1,1'))).toBe(false);
    // Another TypeError is another failure, though the name is the same.
    const readingId = thrown('TypeError', "Cannot read properties of undefined (reading 'id')");
    expect(sameFailure(readingId, thrown('TypeError', "Cannot read properties of undefined (reading 'read')"))).toBe(false);
    expect(sameFailure(readingId, failing('bn/moving_variance'))).toBe(false);
  });

  test('it may show more of the fault, within the parts a known issue lists', () => {
    const more = failing('bn/moving_mean', 'bn/moving_variance');
    expect(sameFailure(reference, more)).toBe(true);
    expect(sameFailure(reference, more, ['bn/moving_mean', 'bn/moving_variance'])).toBe(true);
    expect(sameFailure(reference, more, ['bn/moving_variance'])).toBe(false);
  });
});
