import { INVARIANT_IDS } from '../../../src/engine/invariants/types';
import { firstIssue, resultVerdict, resultVerdictSchema, thrownMessage } from '../../../src/engine/run/result-evidence';
import { HarnessFault } from '../../../src/engine/run/verdict';
import { parseSuiteResult } from '../../../src/results/schema';
import { resultRecord, transferEvidence } from '../../helpers/fixtures';
import { suiteResult } from '../../helpers/suite-result';

const MOVED = { name: 'bn/moving_mean', maxAbsDiff: 0.5, maxRelDiff: 1, firstIndex: 0, changed: 1, count: 2, before: 0, after: 0.5 };

describe('resultVerdict: the engine checks the evidence of every result it makes', () => {
  test('evidence that fits its (status, invariant) comes back as JSON would carry it: a non-finite number is null', () => {
    const verdict = resultVerdict('fail', 'frozen-moving-stats', { moved: [{ ...MOVED, maxAbsDiff: Infinity, maxRelDiff: Number.NaN }], unchanged: [] });
    expect(verdict).toEqual({ status: 'fail', invariant: 'frozen-moving-stats', evidence: { moved: [{ ...MOVED, maxAbsDiff: null, maxRelDiff: null }], unchanged: [] } });
  });

  test("one invariant's evidence does not pass for another's", () => {
    const evidence = { moved: [MOVED], unchanged: [] };
    expect(resultVerdict('fail', 'frozen-moving-stats', evidence).status).toBe('fail');
    expect(() => resultVerdict('fail', 'mode-switch', evidence)).toThrow(HarnessFault);
  });

  test('evidence of another shape is a fault of bn-suite, naming the field', () => {
    expect(() => resultVerdict('fail', 'frozen-moving-stats', { moved: [{ ...MOVED, changed: 'one' }], unchanged: [] })).toThrow(
      /the fail evidence of frozen-moving-stats does not fit its schema: evidence\.moved\.0\.changed: .*expected number/,
    );
    expect(() => resultVerdict('error', 'oracle-agreement', { message: 'x' })).toThrow(/error evidence of oracle-agreement does not fit its schema: evidence\.(errorName|at): /);
    expect(() => resultVerdict('pass', 'determinism', { bytes: 3, firstDifferingByteOnRepeat: -1, firstDifferingByteAfterOtherModel: -1 })).toThrow(HarnessFault);
  });

  test('a steps or transfer failure fits the fail evidence of any invariant, typed by its expectation', () => {
    for (const invariant of INVARIANT_IDS) {
      expect(resultVerdict('fail', invariant, { step: 2, kind: 'expectUnchanged', moved: [MOVED] }).status).toBe('fail');
      expect(resultVerdict('fail', invariant, transferEvidence()).status).toBe('fail');
    }
    // expectUnchanged records weight diffs, not a comparison string.
    expect(() => resultVerdict('fail', 'mode-switch', { step: 2, kind: 'expectUnchanged', comparison: 'x' })).toThrow(/moved: /);
  });

  test('thrownMessage reads what tfjs threw, and falls back to the summary for a lost page', () => {
    expect(thrownMessage(resultRecord({ status: 'error', summary: 's', evidence: { message: 'boom', errorName: 'Error', at: null } }))).toBe('boom');
    expect(thrownMessage(resultRecord({ status: 'error', summary: 'the webgl page crashed', evidence: { host: 'browser', failure: 'crashed', console: [] } }))).toBe('the webgl page crashed');
  });
});

describe('reading results.json checks every evidence against its invariant', () => {
  const valid = () => JSON.parse(JSON.stringify(suiteResult([resultRecord({ invariant: 'frozen-moving-stats', status: 'fail', summary: 'moved', evidence: { moved: [MOVED], unchanged: [] } })])));

  test('a valid document reads back unchanged', () => {
    expect(parseSuiteResult(valid())).toEqual(valid());
  });

  test('a wrong field deep in the evidence is named by its path', () => {
    const data = valid();
    data.results[0].evidence.moved[0].before = 'zero';
    expect(() => parseSuiteResult(data)).toThrow(/^results\.0\.evidence\.moved\.0\.before: /);
  });

  test('evidence of the wrong invariant is refused', () => {
    const data = valid();
    data.results[0].invariant = 'round-trip';
    expect(() => parseSuiteResult(data)).toThrow(/^results\.0\.evidence\./);
  });
});

describe('firstIssue', () => {
  test('looks inside a union at the option with the fewest problems', () => {
    const parsed = resultVerdictSchema.safeParse({ status: 'unsupported', invariant: 'mode-switch', evidence: { kernel: 'MaxPoolGrad', backend: 'wasm' } });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(firstIssue(parsed.error.issues)).toEqual({ path: ['evidence', 'message'], message: expect.stringContaining('expected string') });
  });
});
