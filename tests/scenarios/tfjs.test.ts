import { describeShippedScenarios } from '../helpers/scenario-suite';

describeShippedScenarios('shipped scenarios: tfjs-layers test cases translated', 'tfjs');
