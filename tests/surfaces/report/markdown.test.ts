import { accuracyTableMarkdown } from '../../../src/surfaces/report/markdown';
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
