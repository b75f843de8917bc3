import type { ScenarioResult } from '../../../src/engine/run/run-scenario';
import { classifyResult, isAsExpected, matchKnownIssue, type Outcome } from '../../../src/engine/expectations/classify';
import type { KnownIssue } from '../../../src/engine/expectations/known-issues';
import { parseKnownIssues } from '../../../src/surfaces/inputs/known-issues-file';
import { resultRecord, scenarioResult } from '../../helpers/fixtures';

const result = scenarioResult;

const fitIssue: KnownIssue = {
  scenario: 'frozen-moving-stats/fit',
  invariant: 'frozen-moving-stats',
  issue: 'unreported',
  reason: 'drift',
  outcomes: ['fail'],
};
const wasmOnly: KnownIssue = {
  scenario: 'conv-training',
  invariant: 'frozen-gamma-beta',
  backend: ['wasm'],
  issue: 'https://github.com/tensorflow/tfjs/issues/8474',
  reason: 'no kernel',
  outcomes: ['unsupported'],
};
const known = [fitIssue, wasmOnly];

describe('classifyResult', () => {
  test('a pass with no entry is a pass', () => {
    const c = classifyResult(result({ scenario: 'oracle/affine', invariant: 'oracle-agreement' }), known);
    expect(c).toMatchObject({ outcome: 'pass', knownIssue: null });
  });

  test('a listed failure is expected and carries its entry', () => {
    const c = classifyResult(result({ status: 'fail', summary: 'moved' }), known);
    expect(c.outcome).toBe('expected-fail');
    expect(c.knownIssue).toBe(fitIssue);
  });

  test('an unlisted failure, error or unsupported verdict is unexpected', () => {
    for (const status of ['fail', 'error', 'unsupported'] as const) {
      const c = classifyResult(result({ scenario: 'oracle/affine', invariant: 'oracle-agreement', status }), known);
      expect(c).toMatchObject({ outcome: 'unexpected-fail', knownIssue: null });
    }
  });

  test('a listed scenario with a status the entry does not list is unexpected (but names the entry)', () => {
    const c = classifyResult(result({ status: 'error', summary: 'TypeError' }), known);
    expect(c.outcome).toBe('unexpected-fail');
    expect(c.knownIssue).toBe(fitIssue);
  });

  test('an entry for another invariant of the same scenario does not cover the result', () => {
    const c = classifyResult(result({ status: 'fail', invariant: 'mode-switch' }), known);
    expect(c).toMatchObject({ outcome: 'unexpected-fail', knownIssue: null });
  });

  test('a listed entry that now passes is an unexpected pass', () => {
    const c = classifyResult(result({ status: 'pass' }), known);
    expect(c.outcome).toBe('unexpected-pass');
    expect(c.knownIssue).toBe(fitIssue);
  });

  test('a backend-restricted entry covers only its backends', () => {
    const on = (backend: 'cpu' | 'wasm', status: 'unsupported' | 'pass') => result({ scenario: 'conv-training', invariant: 'frozen-gamma-beta', backend, status });
    expect(classifyResult(on('wasm', 'unsupported'), known).outcome).toBe('expected-fail');
    expect(classifyResult(on('cpu', 'unsupported'), known)).toMatchObject({ outcome: 'unexpected-fail', knownIssue: null });
    expect(classifyResult(on('cpu', 'pass'), known).outcome).toBe('pass');
    expect(classifyResult(on('wasm', 'pass'), known).outcome).toBe('unexpected-pass');
  });

  test('matchKnownIssue picks the entry whose backend list includes the result backend', () => {
    const cpuEntry: KnownIssue = { ...wasmOnly, backend: ['cpu'], outcomes: ['fail'], reason: 'cpu reason' };
    const entries = [wasmOnly, cpuEntry];
    const cpuResult = result({ scenario: 'conv-training', invariant: 'frozen-gamma-beta', backend: 'cpu', status: 'fail' });
    expect(matchKnownIssue(cpuResult, entries)).toBe(cpuEntry);
    expect(matchKnownIssue({ ...cpuResult, backend: 'wasm' }, entries)).toBe(wasmOnly);
    expect(matchKnownIssue({ ...cpuResult, backend: 'tensorflow' }, entries)).toBeNull();
    expect(classifyResult(cpuResult, entries).outcome).toBe('expected-fail');
  });
});

describe('isAsExpected', () => {
  test.each<[Outcome, boolean]>([
    ['pass', true],
    ['expected-fail', true],
    ['unexpected-fail', false],
    ['unexpected-pass', false],
  ])('%s -> %s', (outcome, expected) => {
    expect(isAsExpected(outcome)).toBe(expected);
  });
});

describe('error outcomes match only the listed message', () => {
  const entry: KnownIssue = { scenario: 'oracle/no-center', invariant: 'oracle-agreement', issue: 'unreported', reason: 'r', outcomes: ['error'], message: "reading 'read'" };
  const errored = (message: string) =>
    resultRecord({ scenario: 'oracle/no-center', invariant: 'oracle-agreement', status: 'error', summary: `TypeError: ${message}`, evidence: { message, errorName: 'TypeError', at: null } });

  test('the listed throw is expected; another throw in the same scenario is unexpected', () => {
    expect(classifyResult(errored("Cannot read properties of undefined (reading 'read')"), [entry]).outcome).toBe('expected-fail');
    expect(classifyResult(errored('Size(2) must match the product of shape 1,1,1'), [entry]).outcome).toBe('unexpected-fail');
  });

  test('a known-issues file with an error outcome and no message pattern is refused at load time', () => {
    const text = 'known-issues:\n  - scenario: a\n    invariant: determinism\n    issue: unreported\n    reason: r\n    outcomes: [error]\n';
    expect(() => parseKnownIssues(text, 'k.yaml')).toThrow(/k\.yaml:2:\d+: known-issues\.0\.message: an entry whose outcomes include error needs a message pattern/);
    expect(() => parseKnownIssues(`${text}    message: "(unclosed"\n`, 'k.yaml')).toThrow(/message: must be a valid regular expression/);
  });
});

describe('summary patterns for fail outcomes', () => {
  test('a listed failure matches only when its summary matches; another failure of the scenario is unexpected', () => {
    const [entry] = parseKnownIssues(
      'known-issues:\n  - scenario: s\n    invariant: oracle-agreement\n    issue: unreported\n    reason: r\n    outcomes: [fail]\n    summary: "^training: "\n',
      'k.yaml',
    );
    const failing = (summary: string): ScenarioResult => ({ ...resultRecord({ scenario: 's', status: 'fail', summary }) });
    expect(classifyResult(failing('training: values differ at [0]'), [entry]).outcome).toBe('expected-fail');
    expect(classifyResult(failing('inference: values differ at [0]'), [entry]).outcome).toBe('unexpected-fail');
    expect(() => parseKnownIssues('known-issues:\n  - scenario: s\n    invariant: oracle-agreement\n    issue: unreported\n    reason: r\n    outcomes: [fail]\n    summary: "(x"\n', 'k.yaml')).toThrow(/summary: must be a valid regular expression/);
  });
});

describe('evidence fingerprints for fail outcomes', () => {
  const [entry] = parseKnownIssues(
    'known-issues:\n  - scenario: s\n    invariant: frozen-moving-stats\n    issue: unreported\n    reason: r\n    outcomes: [fail]\n    fingerprint:\n      parts: [bn/moving_mean, bn/moving_variance]\n      band: [0.001, 10]\n',
    'k.yaml',
  );
  const failing = (parts: string[], magnitude: number | null): ScenarioResult => ({
    ...resultRecord({ scenario: 's', invariant: 'frozen-moving-stats', status: 'fail', summary: 'moved' }),
    fingerprint: { parts, magnitude },
  });
  test('a failure of the listed parts within the band is expected', () => {
    expect(classifyResult(failing(['bn/moving_mean'], 0.3), [entry]).outcome).toBe('expected-fail');
  });
  test('a second fault in the listed path (gamma moves too) is unexpected, and so is one far out of band', () => {
    expect(classifyResult(failing(['bn/gamma', 'bn/moving_mean'], 0.3), [entry]).outcome).toBe('unexpected-fail');
    expect(classifyResult(failing(['bn/moving_mean'], 50), [entry]).outcome).toBe('unexpected-fail');
  });
  test('a failure without a fingerprint cannot show that it fits', () => {
    expect(classifyResult({ ...failing(['bn/moving_mean'], 0.3), fingerprint: null }, [entry]).outcome).toBe('unexpected-fail');
  });
});
