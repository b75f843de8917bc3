import { describeShippedScenarios } from '../helpers/scenario-suite';

describeShippedScenarios('shipped scenarios: gamma/beta, inference, mode switch, determinism, round trip, parity, leaks', 'other');
