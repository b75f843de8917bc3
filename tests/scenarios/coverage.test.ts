import * as path from 'node:path';
import { loadScenarios, selectScenarios } from '../../src/scenarios/load';
import { SCENARIO_AREAS } from '../helpers/scenario-areas';

test('every shipped scenario is run by one of the scenario test files', () => {
  const all = loadScenarios(path.resolve(__dirname, '../../scenarios'));
  const covered = new Set(Object.values(SCENARIO_AREAS).flatMap((selector) => selectScenarios(all, selector).map((s) => s.scenario.id)));
  expect(all.map((s) => s.scenario.id).filter((id) => !covered.has(id))).toEqual([]);
});
