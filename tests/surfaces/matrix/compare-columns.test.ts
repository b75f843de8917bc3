import type { MatrixColumn } from '../../../src/results/matrix-schema';
import { matrixRows, verdictChanges, verdictKey } from '../../../src/surfaces/matrix/compare-columns';
import { matrixMarkdown, matrixHtml } from '../../../src/surfaces/matrix/matrix-report';
import { resultRecord } from '../../helpers/fixtures';
import { suiteResult } from '../../helpers/suite-result';

const ran = (requested: string, records: Parameters<typeof resultRecord>[0][]): MatrixColumn => ({
  requested,
  status: 'ran',
  install: null,
  wallMs: 1000,
  suite: suiteResult(records.map((r) => resultRecord(r)), { tfjs: { '@tensorflow/tfjs-core': requested, '@tensorflow/tfjs-layers': requested } }),
});
const matrix = (columns: MatrixColumn[]) => ({ format: 'bn-suite-matrix' as const, formatVersion: 1 as const, seed: 1, runs: 1, startedAt: '2026-01-01T00:00:00.000Z', durationMs: 1, parallel: 2, columns });

const thrown = (message: string) => ({ message, errorName: 'Error', at: null });
const lacks = (kernel: string) => ({ kernel, backend: 'wasm', message: `Kernel '${kernel}' not registered for backend 'wasm'` });

describe('verdictKey', () => {
  test('errors compare by their first line, unsupported by the kernel, the rest by status', () => {
    expect(verdictKey(resultRecord({ status: 'error', evidence: thrown('boom\nat x'), summary: 's' }))).toBe('error: boom');
    expect(verdictKey(resultRecord({ status: 'error', evidence: { host: 'browser', failure: 'crashed', console: [] }, summary: 'the page crashed' }))).toBe('error: the page crashed');
    expect(verdictKey(resultRecord({ status: 'unsupported', evidence: lacks('MaxPoolGrad'), summary: 's' }))).toBe('unsupported: MaxPoolGrad');
    // A failure's numbers are evidence, not the verdict.
    const failing = (maxAbsDiff: number, summary: string) =>
      resultRecord({ invariant: 'mode-switch', status: 'fail', summary, evidence: { maxAbsDiff, tolerance: { atol: 1e-6, rtol: 1e-6 }, trainingAccuracy: null, inferenceAccuracy: null, accuracyGap: null, comparison: summary } });
    expect(verdictKey(failing(1, 'a'))).toBe(verdictKey(failing(2, 'b')));
  });
});

describe('matrixRows and verdictChanges', () => {
  const old = ran('3.21.0', [
    { scenario: 'a', status: 'fail', outcome: 'expected-fail' },
    { scenario: 'b', status: 'pass' },
    { scenario: 'c', status: 'error', evidence: thrown('one'), outcome: 'expected-fail' },
    { scenario: 'd', status: 'pass' },
    { scenario: 'e', status: 'unsupported', evidence: lacks('MaxPoolGrad'), outcome: 'expected-fail' },
  ]);
  const next = ran('4.22.0', [
    { scenario: 'a', status: 'pass' },
    { scenario: 'b', status: 'fail', outcome: 'unexpected-fail' },
    { scenario: 'c', status: 'error', evidence: thrown('two'), outcome: 'unexpected-fail' },
    { scenario: 'd', status: 'pass' },
    { scenario: 'e', status: 'unsupported', evidence: lacks('Conv2DBackpropFilter'), outcome: 'expected-fail' },
    { scenario: 'f', status: 'pass' },
  ]);

  test('each change is named: fixed, broken, different error, changed, appeared', () => {
    const changes = verdictChanges(matrix([old, next]), 0, 1);
    expect(changes.map((c) => [c.scenario, c.kind])).toEqual([
      ['a', 'fixed'],
      ['b', 'broken'],
      ['c', 'different-error'],
      ['e', 'changed'],
      ['f', 'appeared'],
    ]);
    expect(verdictChanges(matrix([old, old]), 0, 1)).toEqual([]);
  });

  test('rows that differ are marked; a column that did not run is left out of the comparison', () => {
    const failed: MatrixColumn = { requested: '9.9.9', status: 'not-installed', reason: 'npm error 404', unknownVersion: true };
    const rows = matrixRows(matrix([old, failed, old]));
    expect(rows.every((r) => !r.differs)).toBe(true);
    expect(rows[0].cells[1]).toBeNull();
    const reports = matrix([old, next, failed]);
    expect(matrixMarkdown(reports)).toMatch(/\*\*5 row\(s\) differ between versions\*\*/);
    expect(matrixMarkdown(reports)).toMatch(/- \*\*9\.9\.9\*\*: not-installed: npm error 404/);
    const html = matrixHtml(reports);
    expect(html).not.toMatch(/<script|https?:\/\//);
    expect(html.match(/class="differs"/g)).toHaveLength(5);
  });
});
