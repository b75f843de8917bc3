import { accuracyTableMarkdown, backendDifferencesMarkdown } from '../../../src/surfaces/report/markdown';
import type { BackendName } from '../../../src/engine/backends';
import type { SuiteResult } from '../../../src/results/schema';
import { resultRecord, transferEvidence } from '../../helpers/fixtures';
import { suiteResult } from '../../helpers/suite-result';

/** Oracle evidence: the first part (inference) fails with the first difference, the others pass with theirs. */
function oracleEvidence(maxAbsDiffs: number[]): unknown {
  const names = ['inference', 'training', 'moving_mean', 'moving_variance'] as const;
  const parts = maxAbsDiffs.map((maxAbsDiff, i) => ({ part: names[i], ok: i > 0, tolerance: { atol: 1e-6, rtol: 1e-6 }, maxAbsDiff, firstIndex: i > 0 ? -1 : 0, comparison: 'c' }));
  return { inputShape: [2, 3], trainingCalls: 1, failed: ['inference'], parts };
}

function suiteWith(evidence: unknown[]): SuiteResult {
  return suiteResult(evidence.map((e, i) => resultRecord({ scenario: `mnist/s${i}`, invariant: 'mode-switch', backend: 'cpu', seed: 9, status: 'fail', evidence: e })));
}

describe('accuracyTableMarkdown', () => {
  test('one row per transfer result with final-epoch accuracies, gap and control', () => {
    const table = accuracyTableMarkdown(
      suiteWith([
        transferEvidence({
          seed: 1,
          variants: {
            frozen: { trainingModeAccuracy: [0.5, 0.7], inferenceModeAccuracy: [0.3, 0.504], gapPoints: [20, 19.6] },
            control: { trainingModeAccuracy: [0.6, 0.604], inferenceModeAccuracy: [0.6, 0.604], gapPoints: [0, 0] },
          },
        }),
      ]),
    );
    expect(table.split('\n')).toHaveLength(3);
    expect(table).toContain('| mnist/s0 | cpu | 1 | 70.0% | 50.4% | 19.6 | 60.4% | 0.0 | fail |');
  });

  test('empty when no result carries transfer evidence', () => {
    expect(accuracyTableMarkdown(suiteWith([{ step: 1, kind: 'expectChanged', unchanged: ['bn/gamma'] }]))).toBe('');
  });
});

describe('backendDifferencesMarkdown', () => {
  const result = (scenario: string, backend: BackendName, status: 'pass' | 'fail', summary: string, maxAbsDiffs: number[] = []) =>
    resultRecord({ scenario, invariant: 'oracle-agreement', backend, status, summary, ...(status === 'fail' ? { evidence: oracleEvidence(maxAbsDiffs) } : {}) });

  test('a scenario whose verdict differs between backends gets one row with every backend side by side, numbers included', () => {
    const suite = suiteResult([
      // The failing part's difference is shown, not the passing part's larger one.
      result('oracle/non-last-axis', 'cpu', 'fail', 'inference: values differ, max abs diff 2.1', [2.1, 3]),
      result('oracle/non-last-axis', 'webgl', 'pass', ''),
      result('oracle/affine', 'cpu', 'pass', ''),
      result('oracle/affine', 'webgl', 'pass', ''),
    ]);
    expect(backendDifferencesMarkdown(suite).split('\n')).toEqual([
      '| scenario | invariant | cpu | webgl |',
      '|---|---|---|---|',
      '| oracle/non-last-axis | oracle-agreement | **fail** (max abs diff 2.10): inference: values differ, max abs diff 2.1 | **pass** |',
    ]);
  });

  test('empty when every backend agrees', () => {
    const suite = suiteResult([result('a', 'cpu', 'pass', ''), result('a', 'wasm', 'pass', '')]);
    expect(backendDifferencesMarkdown(suite)).toBe('');
  });
});
