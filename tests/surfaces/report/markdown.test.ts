import { accuracyTableMarkdown, backendDifferencesMarkdown } from '../../../src/surfaces/report/markdown';
import type { SuiteResult } from '../../../src/results/schema';

function suiteWith(evidence: Record<string, unknown>[]): SuiteResult {
  return {
    results: evidence.map((e, i) => ({ scenario: `mnist/s${i}`, backend: 'cpu', seed: 9, status: 'fail', evidence: e })),
  } as unknown as SuiteResult;
}

describe('accuracyTableMarkdown', () => {
  test('one row per transfer result with final-epoch accuracies, gap and control', () => {
    const table = accuracyTableMarkdown(
      suiteWith([
        {
          seed: 1,
          variants: {
            frozen: { trainingModeAccuracy: [0.5, 0.7], inferenceModeAccuracy: [0.3, 0.504], gapPoints: [20, 19.6] },
            control: { trainingModeAccuracy: [0.6, 0.604], inferenceModeAccuracy: [0.6, 0.604], gapPoints: [0, 0] },
          },
        },
      ]),
    );
    expect(table.split('\n')).toHaveLength(3);
    expect(table).toContain('| mnist/s0 | cpu | 1 | 70.0% | 50.4% | 19.6 | 60.4% | 0.0 | fail |');
  });

  test('empty when no result carries transfer evidence', () => {
    expect(accuracyTableMarkdown(suiteWith([{ moved: [] }]))).toBe('');
  });
});

describe('backendDifferencesMarkdown', () => {
  const result = (scenario: string, backend: string, status: string, summary: string, evidence: Record<string, unknown>) => ({ scenario, invariant: 'oracle-agreement', backend, status, summary, evidence });

  test('a scenario whose verdict differs between backends gets one row with every backend side by side, numbers included', () => {
    const suite = {
      results: [
        result('oracle/non-last-axis', 'cpu', 'fail', 'inference: values differ, max abs diff 2.1', { parts: [{ maxAbsDiff: 2.1 }, { maxAbsDiff: 0.5 }] }),
        result('oracle/non-last-axis', 'webgl', 'pass', '', { parts: [{ maxAbsDiff: 1.2e-7 }] }),
        result('oracle/affine', 'cpu', 'pass', '', { parts: [{ maxAbsDiff: 1e-7 }] }),
        result('oracle/affine', 'webgl', 'pass', '', { parts: [{ maxAbsDiff: 2e-7 }] }),
      ],
    } as unknown as SuiteResult;
    expect(backendDifferencesMarkdown(suite).split('\n')).toEqual([
      '| scenario | invariant | cpu | webgl |',
      '|---|---|---|---|',
      '| oracle/non-last-axis | oracle-agreement | **fail** (max abs diff 2.10): inference: values differ, max abs diff 2.1 | **pass** (max abs diff 1.20e-7) |',
    ]);
  });

  test('empty when every backend agrees', () => {
    const suite = { results: [result('a', 'cpu', 'pass', '', {}), result('a', 'wasm', 'pass', '', {})] } as unknown as SuiteResult;
    expect(backendDifferencesMarkdown(suite)).toBe('');
  });
});
