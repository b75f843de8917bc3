import { SCENARIO_AREAS } from '../helpers/scenario-areas';
import { describeShippedScenarios } from '../helpers/scenario-suite';

describeShippedScenarios('shipped scenarios: frozen moving statistics', SCENARIO_AREAS.frozenMovingStats);
