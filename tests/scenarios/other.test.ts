import { SCENARIO_AREAS } from '../helpers/scenario-areas';
import { describeShippedScenarios } from '../helpers/scenario-suite';

describeShippedScenarios('shipped scenarios: gamma/beta, inference, mode switch, determinism, round trip, parity, leaks', SCENARIO_AREAS.other);
