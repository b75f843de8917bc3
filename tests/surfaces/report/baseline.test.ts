import type { BackendName } from '../../../src/engine/backends';
import { UsageError } from '../../../src/engine/errors';
import type { Outcome } from '../../../src/engine/expectations/classify';
import type { InvariantId } from '../../../src/engine/invariants/types';
import { compareWithBaseline, formatBaselineComparison } from '../../../src/surfaces/report/baseline';
import type { ResultRecord, SuiteResult } from '../../../src/results/schema';
import type { VerdictStatus } from '../../../src/engine/run/verdict';
import { BN_SUITE_VERSION } from '../../../src/engine/version';
import { resultRecord } from '../../helpers/fixtures';
import { suiteResult } from '../../helpers/suite-result';

function record(scenario: string, backend: BackendName, status: VerdictStatus, outcome: Outcome, casesRun = 3, invariant: InvariantId = 'oracle-agreement'): ResultRecord {
  return resultRecord({ scenario, invariant, backend, status, outcome, casesRun, seed: 5 });
}

function suite(results: ResultRecord[], overrides: Partial<SuiteResult> = {}): SuiteResult {
  return suiteResult(results, { seed: 5, runs: 3, ...overrides });
}

const base = [record('a', 'cpu', 'pass', 'pass'), record('b', 'cpu', 'fail', 'expected-fail'), record('b', 'wasm', 'fail', 'expected-fail')];

describe('compareWithBaseline', () => {
  test('identical runs have no changes and no notes', () => {
    const c = compareWithBaseline(suite(base), suite(base), 'base.json');
    expect(c).toEqual({ baselineTfjs: '4.22.0', currentTfjs: '4.22.0', changes: [], notes: [] });
    expect(formatBaselineComparison(c)).toBe('baseline: tfjs 4.22.0 -> this run: tfjs 4.22.0\nno verdict changed');
  });

  test('a status change is reported with before and after, keyed by scenario / invariant / backend', () => {
    const now = [base[0], record('b', 'cpu', 'pass', 'unexpected-pass'), base[2]];
    const c = compareWithBaseline(suite(now, { tfjs: { '@tensorflow/tfjs-core': '4.23.0', '@tensorflow/tfjs-layers': '4.23.0' } }), suite(base), 'base.json');
    expect(c.changes).toEqual([{ key: 'b / oracle-agreement / cpu', what: 'status', before: 'fail', after: 'pass' }]);
    expect(c.currentTfjs).toBe('4.23.0');
    const text = formatBaselineComparison(c);
    expect(text).toContain('baseline: tfjs 4.22.0 -> this run: tfjs 4.23.0');
    expect(text).toContain('1 change(s):');
    expect(text).toMatch(/b \/ oracle-agreement \/ cpu\s+status\s+fail -> pass/);
  });

  test('an outcome change with the same status is reported as an outcome change', () => {
    const now = [base[0], record('b', 'cpu', 'fail', 'unexpected-fail'), base[2]];
    expect(compareWithBaseline(suite(now), suite(base), 'base.json').changes).toEqual([
      { key: 'b / oracle-agreement / cpu', what: 'outcome', before: 'expected-fail', after: 'unexpected-fail' },
    ]);
  });

  test('case counts count only with the same seed and runs', () => {
    const now = [record('a', 'cpu', 'pass', 'pass', 2), base[1], base[2]];
    expect(compareWithBaseline(suite(now), suite(base), 'base.json').changes).toEqual([{ key: 'a / oracle-agreement / cpu', what: 'cases', before: '3', after: '2' }]);
    const otherSeed = compareWithBaseline(suite(now, { seed: 6 }), suite(base), 'base.json');
    expect(otherSeed.changes).toEqual([]);
    expect(otherSeed.notes).toEqual([expect.stringContaining('case counts are not compared')]);
    const otherRuns = compareWithBaseline(suite(now, { runs: 4 }), suite(base), 'base.json');
    expect(otherRuns.changes).toEqual([]);
    expect(formatBaselineComparison(otherRuns)).toContain('note: baseline used seed 5 and 3 runs, this run seed 5 and 4');
  });

  test('a status change still counts with a different seed', () => {
    const now = [record('a', 'cpu', 'fail', 'unexpected-fail'), base[1], base[2]];
    expect(compareWithBaseline(suite(now, { seed: 99 }), suite(base), 'base.json').changes.map((c) => c.what)).toEqual(['status']);
  });

  test('added and removed results are changes', () => {
    const now = [base[0], base[1], record('c', 'cpu', 'pass', 'pass')];
    const c = compareWithBaseline(suite(now), suite(base), 'base.json');
    expect(c.changes).toEqual([
      { key: 'c / oracle-agreement / cpu', what: 'added', before: '-', after: 'pass' },
      { key: 'b / oracle-agreement / wasm', what: 'removed', before: 'fail', after: '-' },
    ]);
    expect(formatBaselineComparison(c)).toContain('2 change(s):');
  });

  test('the same scenario under another invariant is a different key', () => {
    const now = [record('a', 'cpu', 'pass', 'pass', 3, 'mode-switch'), base[1], base[2]];
    expect(compareWithBaseline(suite(now), suite(base), 'base.json').changes.map((c) => c.what).sort()).toEqual(['added', 'removed']);
  });

  test('a baseline from another bn-suite version is a usage error naming the file and both versions', () => {
    const old = suite(base, { tool: { name: 'bn-suite', version: '0.0.0' } });
    expect(() => compareWithBaseline(suite(base), old, 'old/results.json')).toThrow(UsageError);
    expect(() => compareWithBaseline(suite(base), old, 'old/results.json')).toThrow(
      `old/results.json: baseline written by bn-suite 0.0.0, this is ${BN_SUITE_VERSION}`,
    );
  });
});
