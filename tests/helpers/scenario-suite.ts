import { nodeInvariantContext } from '../../src/hosts/node/services';
import * as path from 'node:path';
import { activateBackend, probeBackendModule } from '../../src/hosts/node/backends';
import { NODE_BACKENDS, type BackendName, type BrowserBackendName } from '../../src/engine/backends';
import { comparedBackends } from '../../src/engine/backends';
import type { Scenario } from '../../src/engine/scenarios/types';
import type { ScenarioResult } from '../../src/engine/run/run-scenario';
import type { KnownIssue } from '../../src/engine/expectations/known-issues';
import { openHosts, type OpenedHosts } from '../../src/hosts/open-hosts';
import { browserStatuses } from './browser-probe';
import { classifyResult, isAsExpected } from '../../src/engine/expectations/classify';
import { knownIssuesForTfjs } from '../../src/engine/expectations/known-issues';
import { tf } from '../../src/hosts/node/tfjs';
import { loadKnownIssues } from '../../src/surfaces/inputs/known-issues-file';
import { INVARIANTS } from '../../src/engine/invariants';
import { formatClassifiedResult } from '../../src/surfaces/report/format-result';
import { runScenario } from '../../src/engine/run/run-scenario';
import { loadScenarios } from '../../src/surfaces/inputs/load-scenarios';
import { describeEachBackend } from './backends';
import { scenariosOfArea, type NAMED_AREAS } from './scenario-areas';
import { testRuns, testSeed } from './settings';

const root = path.resolve(__dirname, '../..');

/**
 * Declares one test per (shipped scenario of `area`, backend), running it through the
 * same runner as `bn-suite run` and classifying it with the shipped known issues. The shipped
 * scenarios are spread over several test files so that jest's workers and `--shard` split them.
 */
export function describeShippedScenarios(title: string, area: keyof typeof NAMED_AREAS | 'other'): void {
  const seed = testSeed();
  const runs = testRuns();
  // As a run does: only the entries about the tfjs under test.
  const knownIssues = knownIssuesForTfjs(loadKnownIssues(path.join(root, 'expectations/known-issues.yaml')), tf.version_core);
  const scenarios = scenariosOfArea(loadScenarios(path.join(root, 'scenarios')), area).map((loaded) => loaded.scenario);
  const availableBackends = NODE_BACKENDS.filter((name) => probeBackendModule(name).available);

  describeEachBackend(title, (backend) => {
    for (const scenario of scenarios) {
      if (scenario.backends !== undefined && !scenario.backends.includes(backend)) {
        test.skip(`${scenario.id}: not applicable to ${backend} (scenario backends: ${scenario.backends.join(', ')})`, () => undefined);
        continue;
      }
      const sizing = scenario.kind === 'property' ? ` seed=${seed} runs=${runs}` : ` seed=${scenario.seed}`;
      test(`${scenario.id} [${scenario.invariant}]${sizing}`, async () => {
        const context = nodeInvariantContext(backend, availableBackends);
        const result = await runScenario(scenario, INVARIANTS[scenario.invariant], context, { seed, runs });
        expectAsKnown(result, knownIssues);
      });
    }
  });
  describeBrowserBackends(title, scenarios, knownIssues, seed, runs);
}

function expectAsKnown(result: ScenarioResult, knownIssues: readonly KnownIssue[]): void {
  const classified = classifyResult(result, knownIssues);
  if (!isAsExpected(classified.outcome)) throw new Error(formatClassifiedResult(classified));
  expect(result.casesRun).toBeGreaterThan(0);
}

/**
 * The same tests on webgl and webgpu, each job run in a headless Chromium page by the browser host
 * (one browser per test file). A backend globalSetup found unusable (no Chromium, no adapter) is a
 * skipped test whose title gives the reason.
 */
function describeBrowserBackends(title: string, scenarios: readonly Scenario[], knownIssues: readonly KnownIssue[], seed: number, runs: number): void {
  const wanted = process.env.BN_BACKENDS;
  const statuses = browserStatuses();
  const usable = statuses.filter((s) => s.available && (wanted === undefined || wanted === '' || wanted === 'all' || wanted.split(',').includes(s.name)));
  let hosts: OpenedHosts | null = null;
  if (usable.length > 0) {
    beforeAll(async () => {
      // Below jest's 600 s per test: a hung page job is reported by the host, never left running into the next test.
      hosts = await openHosts({ backends: usable.map((s) => s.name), browser: { jobTimeoutMs: 540_000 } });
      const lost = hosts.statuses.filter((s) => !s.available);
      if (lost.length > 0) throw new Error(`browser backends probed as usable cannot start now: ${lost.map((s) => `${s.name}: ${!s.available ? s.reason : ''}`).join('; ')}`);
    }, 120_000);
    afterAll(async () => {
      await hosts?.close();
    });
  }
  for (const status of statuses) {
    const name = status.name as BrowserBackendName;
    describe(`${title} [${name}]`, () => {
      if (!status.available) {
        test.skip(`${name} unavailable (${status.kind}): ${status.reason}`, () => undefined);
        return;
      }
      if (!usable.includes(status)) {
        test.skip(`${name} not selected by BN_BACKENDS=${wanted}`, () => undefined);
        return;
      }
      for (const scenario of scenarios) {
        if (scenario.backends !== undefined && !scenario.backends.includes(name)) {
          test.skip(`${scenario.id}: not applicable to ${name} (scenario backends: ${scenario.backends.join(', ')})`, () => undefined);
          continue;
        }
        const sizing = scenario.kind === 'property' ? ` seed=${seed} runs=${runs}` : ` seed=${scenario.seed}`;
        test(`${scenario.id} [${scenario.invariant}]${sizing}`, async () => {
          if (hosts === null) throw new Error('the browser host did not open');
          const backend: BackendName = name;
          const [result] = await hosts.host.run([{ scenario, backend, otherBackends: comparedBackends(backend, []), seed, runs }]);
          expectAsKnown(result, knownIssues);
        }, 600_000);
      }
    });
  }
}
