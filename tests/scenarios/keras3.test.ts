import { describeShippedScenarios } from '../helpers/scenario-suite';

describeShippedScenarios('shipped scenarios: Keras 3 test cases translated', 'keras3');
