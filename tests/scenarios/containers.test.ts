import { describeShippedScenarios } from '../helpers/scenario-suite';

describeShippedScenarios('shipped scenarios: nested, shared and Sequential containers (leaks, bookkeeping, purity, round trip)', 'containers');
