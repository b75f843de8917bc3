import * as fs from 'node:fs';
import * as path from 'node:path';
import { COVERAGE_DIR, countsSentence, coverageCounts, coverageMarkdown, knownVerdict, loadCoverage } from '../../../src/dev/coverage/upstream-coverage';
import { knownIssuesForTfjs } from '../../../src/engine/expectations/known-issues';
import { tf } from '../../../src/hosts/node/tfjs';
import { loadKnownIssues } from '../../../src/surfaces/inputs/known-issues-file';
import { loadScenarios } from '../../../src/surfaces/inputs/load-scenarios';
import { SHIPPED_SCENARIOS } from '../../../src/surfaces/paths';

const root = path.resolve(__dirname, '../../..');
const coverage = loadCoverage();
const scenarios = loadScenarios(SHIPPED_SCENARIOS).map((l) => l.scenario);
const knownIssues = knownIssuesForTfjs(loadKnownIssues(path.join(root, 'expectations/known-issues.yaml')), tf.version_core);
/** The folders that hold translations of upstream test files. */
const UPSTREAM_FOLDERS = ['tfjs/', 'keras3/', 'tf-keras/', 'pytorch/'];

describe('the upstream coverage table', () => {
  test('has a file per upstream source', () => {
    expect([...new Set(coverage.map((c) => c.coverage.source))].sort()).toEqual(['keras3', 'pytorch', 'tf-keras', 'tfjs-layers']);
  });

  const expressed = coverage.flatMap(({ coverage: c }) => c.cases.flatMap((k) => ('scenario' in k ? [{ source: c.source, ...k }] : [])));

  test.each(expressed.map((k) => [`${k.source}: ${k.test}${k.parameters !== undefined ? ` (${k.parameters})` : ''} -> ${k.scenario}`, k] as const))(
    '%s: the scenario exists and its verdict is what the shipped known issues say tfjs 4.22 does on cpu',
    (_title, k) => {
      const scenario = scenarios.find((s) => s.id === k.scenario);
      expect(scenario).toBeDefined();
      // The shipped-scenario suites run every scenario and hold it to the known issues, so a verdict
      // that agrees with them is the one tfjs really gives.
      expect(knownVerdict(k.scenario, scenario!.invariant, knownIssues)).toContain(k.verdict);
    },
  );

  test('every scenario in an upstream folder is in the table', () => {
    const listed = new Set(expressed.map((k) => k.scenario));
    const missing = scenarios.filter((s) => UPSTREAM_FOLDERS.some((folder) => s.id.startsWith(folder)) && !listed.has(s.id)).map((s) => s.id);
    expect(missing).toEqual([]);
  });

  test('the README states the counts of the table', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(readme).toContain(countsSentence(coverageCounts(coverage.map((c) => c.coverage))));
  });

  test('renders as Markdown with a row per case', () => {
    const markdown = coverageMarkdown(coverage.map((c) => c.coverage));
    const rows = markdown.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| upstream test') && !line.startsWith('| ---'));
    expect(rows).toHaveLength(coverageCounts(coverage.map((c) => c.coverage)).cases);
    expect(fs.existsSync(COVERAGE_DIR)).toBe(true);
  });
});
