import { describeShippedScenarios } from '../helpers/scenario-suite';

describeShippedScenarios('shipped scenarios: frozen moving statistics', 'frozenMovingStats');
