import { SCENARIO_AREAS } from '../helpers/scenario-areas';
import { describeShippedScenarios } from '../helpers/scenario-suite';

describeShippedScenarios('shipped scenarios: float64 oracle', SCENARIO_AREAS.oracle);
