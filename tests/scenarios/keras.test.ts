import { SCENARIO_AREAS } from '../helpers/scenario-areas';
import { describeShippedScenarios } from '../helpers/scenario-suite';

describeShippedScenarios('shipped scenarios: Keras test cases translated', SCENARIO_AREAS.keras);
