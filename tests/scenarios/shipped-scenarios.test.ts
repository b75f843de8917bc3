import * as path from 'node:path';
import { activateBackend, probeBackendModule } from '../../src/backends/registry';
import { BACKEND_NAMES } from '../../src/backends/types';
import { classifyResult, isAsExpected } from '../../src/expectations/classify';
import { loadKnownIssues } from '../../src/expectations/known-issues';
import { INVARIANTS } from '../../src/invariants';
import { formatClassifiedResult } from '../../src/report/format-result';
import { runScenario } from '../../src/run/run-scenario';
import { loadScenarios } from '../../src/scenarios/load';
import { describeEachBackend } from '../helpers/backends';
import { testRuns, testSeed } from '../helpers/settings';

const seed = testSeed();
const runs = testRuns();
const root = path.resolve(__dirname, '../..');
const knownIssues = loadKnownIssues(path.join(root, 'expectations/known-issues.yaml'));
const scenarios = loadScenarios(path.join(root, 'scenarios')).map((loaded) => loaded.scenario);
const availableBackends = BACKEND_NAMES.filter((name) => probeBackendModule(name).available);

describeEachBackend('shipped property scenarios', (backend) => {
  for (const scenario of scenarios) {
    if (scenario.backends !== undefined && !scenario.backends.includes(backend)) {
      test.skip(`${scenario.id}: not applicable to ${backend} (scenario backends: ${scenario.backends.join(', ')})`, () => undefined);
      continue;
    }
    test(`${scenario.id} [${scenario.invariant}] seed=${seed} runs=${runs}`, async () => {
      const context = { backend, otherBackends: availableBackends.filter((b) => b !== backend), activate: activateBackend };
      const result = await runScenario(scenario, INVARIANTS[scenario.invariant], context, { seed, runs });
      const classified = classifyResult(result, knownIssues);
      if (!isAsExpected(classified.outcome)) throw new Error(formatClassifiedResult(classified));
      expect(result.casesRun).toBeGreaterThan(0);
    });
  }
});
