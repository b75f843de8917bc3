import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BACKEND_NAMES } from '../../../src/engine/backends';
import { appliesToTfjs, knownIssuesForTfjs } from '../../../src/engine/expectations/known-issues';
import { matchKnownIssue } from '../../../src/engine/expectations/classify';
import { DataFileError } from '../../../src/surfaces/inputs/yaml-schema';
import { UsageError } from '../../../src/engine/errors';
import { loadKnownIssues, parseKnownIssues } from '../../../src/surfaces/inputs/known-issues-file';
import { INVARIANT_IDS } from '../../../src/engine/invariants/types';
import { loadScenarios } from '../../../src/surfaces/inputs/load-scenarios';

const ROOT = path.resolve(__dirname, '../../..');

const GOOD = `known-issues:
  - scenario: frozen-moving-stats/fit
    invariant: frozen-moving-stats
    issue: unreported
    reason: moving statistics drift
    outcomes: [fail]
  - scenario: conv-training
    invariant: frozen-gamma-beta
    backend: [wasm]
    issue: https://github.com/tensorflow/tfjs/issues/8474
    reason: no Conv2DBackpropFilter on wasm
    outcomes: [unsupported, error]
    message: not registered for backend
`;

function parseError(text: string): DataFileError {
  try {
    parseKnownIssues(text, 'ki.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(DataFileError);
    return error as DataFileError;
  }
  throw new Error('expected a DataFileError');
}

describe('parseKnownIssues', () => {
  test('parses a valid file into entries, keeping the optional backend list', () => {
    const entries = parseKnownIssues(GOOD, 'ki.yaml');
    expect(entries).toEqual([
      { scenario: 'frozen-moving-stats/fit', invariant: 'frozen-moving-stats', issue: 'unreported', reason: 'moving statistics drift', outcomes: ['fail'] },
      {
        scenario: 'conv-training',
        invariant: 'frozen-gamma-beta',
        backend: ['wasm'],
        issue: 'https://github.com/tensorflow/tfjs/issues/8474',
        reason: 'no Conv2DBackpropFilter on wasm',
        outcomes: ['unsupported', 'error'],
        message: 'not registered for backend',
      },
    ]);
  });

  test('an empty list is valid', () => {
    expect(parseKnownIssues('known-issues: []\n', 'ki.yaml')).toEqual([]);
  });

  test('an unknown invariant is located and the message lists every allowed invariant', () => {
    const error = parseError(GOOD.replace('invariant: frozen-moving-stats', 'invariant: frozen-stats'));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ file: 'ki.yaml', line: 3, column: 16, path: 'known-issues.0.invariant' });
    for (const id of INVARIANT_IDS) expect(error.problems[0].message).toContain(`"${id}"`);
    expect(error.problems[0].message).toContain('(found "frozen-stats")');
  });

  test('an issue that is neither a URL nor "unreported" is refused', () => {
    const error = parseError(GOOD.replace('issue: unreported', 'issue: see slack'));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ line: 4, path: 'known-issues.0.issue' });
    expect(error.problems[0].message).toContain('(found "see slack")');
  });

  test('an unknown backend lists the allowed backends', () => {
    const error = parseError(GOOD.replace('backend: [wasm]', 'backend: [metal]'));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0].path).toBe('known-issues.1.backend.0');
    for (const name of BACKEND_NAMES) expect(error.problems[0].message).toContain(`"${name}"`);
  });

  test('missing outcomes, an empty outcomes list and a bad outcome are each reported', () => {
    const missing = parseError(GOOD.replace('    outcomes: [fail]\n', ''));
    expect(missing.problems.map((p) => p.path)).toEqual(['known-issues.0.outcomes']);
    const empty = parseError(GOOD.replace('outcomes: [fail]', 'outcomes: []'));
    expect(empty.problems.map((p) => p.path)).toEqual(['known-issues.0.outcomes']);
    const bad = parseError(GOOD.replace('outcomes: [fail]', 'outcomes: [pass]'));
    expect(bad.problems.map((p) => p.path)).toEqual(['known-issues.0.outcomes.0']);
    expect(bad.problems[0].message).toContain('"unsupported"');
  });

  test('an unknown key is reported at its own line', () => {
    const error = parseError(GOOD.replace('    reason: moving statistics drift\n', '    reason: moving statistics drift\n    severity: high\n'));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ line: 6, column: 5, path: 'known-issues.0.severity' });
    expect(error.problems[0].message).toContain("unknown key 'severity'");
    expect(error.problems[0].message).toContain('outcomes');
  });

  test('problems in several entries are all reported', () => {
    const text = GOOD.replace('invariant: frozen-moving-stats', 'invariant: nope').replace('backend: [wasm]', 'backend: []');
    expect(parseError(text).problems.map((p) => p.path).sort()).toEqual(['known-issues.0.invariant', 'known-issues.1.backend']);
  });
});

describe('the shipped expectations/known-issues.yaml', () => {
  const file = path.join(ROOT, 'expectations/known-issues.yaml');

  test('loads, and every entry names a shipped scenario and that scenario\'s invariant', () => {
    const entries = loadKnownIssues(file);
    expect(entries.length).toBeGreaterThan(0);
    const scenarios = new Map(loadScenarios(path.join(ROOT, 'scenarios')).map((l) => [l.scenario.id, l.scenario]));
    for (const entry of entries) {
      const scenario = scenarios.get(entry.scenario);
      expect({ entry: entry.scenario, exists: scenario !== undefined }).toEqual({ entry: entry.scenario, exists: true });
      expect({ entry: entry.scenario, invariant: entry.invariant }).toEqual({ entry: entry.scenario, invariant: scenario?.invariant });
    }
  });

  test('no two entries of a kind (with or without a tfjs range) cover the same (scenario, invariant, backend)', () => {
    const entries = loadKnownIssues(file);
    for (const ranged of [false, true]) {
      const keys = entries.filter((e) => (e.tfjs !== undefined) === ranged).flatMap((e) => (e.backend ?? BACKEND_NAMES).map((b) => `${e.scenario}|${e.invariant}|${b}|${e.tfjs ?? ''}`));
      expect(new Set(keys).size).toBe(keys.length);
    }
  });

  test('loadKnownIssues on a missing file is a usage error', () => {
    const missing = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-ki-')), 'nope.yaml');
    expect(() => loadKnownIssues(missing)).toThrow(UsageError);
    expect(() => loadKnownIssues(missing)).toThrow('cannot read (ENOENT)');
    fs.rmSync(path.dirname(missing), { recursive: true, force: true });
  });
});

describe('tfjs version ranges', () => {
  const entry = (extra: string) =>
    `known-issues:\n  - scenario: oracle/affine\n    invariant: oracle-agreement\n    issue: unreported\n    reason: r\n    outcomes: [fail]\n${extra}`;

  test('an entry applies only inside its range; no range means every version; prereleases count', () => {
    const [ranged] = parseKnownIssues(entry('    tfjs: ">=1.0.0 <4.23.0"\n'), 'k.yaml');
    expect(['1.7.4', '3.21.0', '4.22.0'].map((v) => appliesToTfjs(ranged, v))).toEqual([true, true, true]);
    expect(['4.23.0', '0.15.3'].map((v) => appliesToTfjs(ranged, v))).toEqual([false, false]);
    const [rc] = parseKnownIssues(entry('    tfjs: ">=4.0.0"\n'), 'k.yaml');
    expect(appliesToTfjs(rc, '4.23.0-rc.0')).toBe(true);
    const [unranged] = parseKnownIssues(entry(''), 'k.yaml');
    expect(appliesToTfjs(unranged, '1.7.4')).toBe(true);
    expect(knownIssuesForTfjs([ranged, unranged], '4.23.0')).toEqual([unranged]);
  });

  test('an invalid range is an input error naming file:line', () => {
    expect(() => parseKnownIssues(entry('    tfjs: "four point two"\n'), 'k.yaml')).toThrow(/k\.yaml:7:11: known-issues\.0\.tfjs: must be a semver range/);
  });

  test('two entries for one behaviour are fine in disjoint ranges and refused when the ranges overlap', () => {
    const twice = (a: string, b: string) => `${entry(`    tfjs: "${a}"\n`)}${entry(`    tfjs: "${b}"\n`).replace('known-issues:\n', '')}`;
    expect(parseKnownIssues(twice('<2.0.0', '>=2.0.0'), 'k.yaml')).toHaveLength(2);
    expect(() => parseKnownIssues(twice('<3.0.0', '>=2.0.0'), 'k.yaml')).toThrow(/duplicate entry: entry 1 already covers oracle\/affine \/ oracle-agreement for tfjs >=2\.0\.0/);
  });
});

describe('a ranged entry refining an unranged one', () => {
  const text = `known-issues:
  - scenario: oracle/affine
    invariant: oracle-agreement
    issue: unreported
    reason: everywhere
    outcomes: [fail]
  - scenario: oracle/affine
    invariant: oracle-agreement
    backend: [wasm]
    tfjs: "<2.0.0"
    issue: unreported
    reason: old wasm lacks a kernel
    outcomes: [unsupported]
`;
  test('is accepted, and wins where both apply', () => {
    const entries = parseKnownIssues(text, 'k.yaml');
    const on = (backend: 'cpu' | 'wasm', version: string) => matchKnownIssue({ scenario: 'oracle/affine', invariant: 'oracle-agreement', backend }, knownIssuesForTfjs(entries, version))?.reason;
    expect(on('wasm', '1.7.4')).toBe('old wasm lacks a kernel');
    expect(on('cpu', '1.7.4')).toBe('everywhere');
    expect(on('wasm', '4.22.0')).toBe('everywhere');
  });
});
