import { describeShippedScenarios } from '../helpers/scenario-suite';

describeShippedScenarios('shipped scenarios: tf-keras test cases translated', 'tfKeras');
