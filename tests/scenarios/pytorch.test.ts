import { describeShippedScenarios } from '../helpers/scenario-suite';

describeShippedScenarios('shipped scenarios: PyTorch test cases translated', 'pytorch');
