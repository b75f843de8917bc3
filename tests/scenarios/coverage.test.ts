import * as path from 'node:path';
import { loadScenarios } from '../../src/surfaces/inputs/load-scenarios';
import { NAMED_AREAS, scenariosOfArea } from '../helpers/scenario-areas';

test('every shipped scenario belongs to exactly one scenario test file', () => {
  const all = loadScenarios(path.resolve(__dirname, '../../scenarios'));
  const areas = [...(Object.keys(NAMED_AREAS) as Array<keyof typeof NAMED_AREAS>), 'other' as const];
  const ids = areas.flatMap((area) => scenariosOfArea(all, area).map((s) => s.scenario.id));
  expect(ids.sort()).toEqual(all.map((s) => s.scenario.id).sort());
});
