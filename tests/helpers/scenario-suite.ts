import { nodeInvariantContext } from '../../src/hosts/node/services';
import * as path from 'node:path';
import { activateBackend, probeBackendModule } from '../../src/hosts/node/backends';
import { BACKEND_NAMES } from '../../src/engine/backends';
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
  const availableBackends = BACKEND_NAMES.filter((name) => probeBackendModule(name).available);

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
        const classified = classifyResult(result, knownIssues);
        if (!isAsExpected(classified.outcome)) throw new Error(formatClassifiedResult(classified));
        expect(result.casesRun).toBeGreaterThan(0);
      });
    }
  });
}
