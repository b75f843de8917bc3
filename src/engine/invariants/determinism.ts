import { withSeed } from '../determinism/with-seed';
import type { CaseSpec } from '../run/case-spec';
import { trainedWeightBytes } from '../run/observe';
import { fingerprintOf } from '../expectations/fingerprint';
import { defineInvariant } from './types';
import { z } from 'zod';
import { integer } from './evidence-parts';

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : length;
}

/** A different case to run in between: other seeds and architecture, same backend. Exported for repro scripts, which run it too. */
export function determinismInterloper(spec: CaseSpec): CaseSpec {
  // A plain model: the container fields only mean something for a nested one.
  const { container: _container, baseContainer: _base, depth: _depth, shared: _shared, ...model } = spec.model;
  const { freezeTiming: _timing, ...rest } = spec;
  return {
    ...rest,
    model: { ...model, architecture: 'bn-only', seed: spec.model.seed + 1, nested: false, classes: 2 },
    data: { ...spec.data, seed: spec.data.seed + 1 },
    freeze: 'none',
    entryPoint: 'fit',
  };
}

/** Evidence of determinism: the size of the trained weights and the first differing byte of each rerun (-1: none). */
export const determinismEvidence = z.object({ bytes: integer, firstDifferingByteOnRepeat: integer, firstDifferingByteAfterOtherModel: integer }).strict();

/**
 * Invariant 6: a case is a function of its seed. Two runs give identical weight bytes, and running
 * another model in between (a different history of tfjs's global state: variable counters, Math.random
 * draws, backend buffers) changes nothing.
 */
export const determinism = defineInvariant({
  id: 'determinism',
  evidence: determinismEvidence,
  title: 'same seed, same bytes; order does not matter',
  contract: 'Running a seeded case twice on one backend gives byte-identical weights, whatever ran before it.',
  async check(spec) {
    const seeded = (s: CaseSpec) => withSeed(s.data.seed, () => trainedWeightBytes(s));
    const first = await seeded(spec);
    const second = await seeded(spec);
    await seeded(determinismInterloper(spec));
    const third = await seeded(spec);
    const repeat = firstDifference(first, second);
    const afterOther = firstDifference(first, third);
    const evidence = { bytes: first.length, firstDifferingByteOnRepeat: repeat, firstDifferingByteAfterOtherModel: afterOther };
    if (repeat === -1 && afterOther === -1) return { status: 'pass', evidence };
    const what = repeat !== -1 ? `a repeated run differs at byte ${repeat}` : `a run after another model differs at byte ${afterOther}`;
    return { status: 'fail', summary: `${what} of ${first.length}`, evidence, fingerprint: fingerprintOf([repeat !== -1 ? 'repeated run' : 'run after another model'], null) };
  },
});
