import type { z } from 'zod';
import type { propertyScenarioSchema, scenarioSchema, stepsScenarioSchema, transferScenarioSchema } from './schema';

/** A property scenario: one invariant checked over a space of generated cases (a scenario file's content). */
export type PropertyScenario = z.infer<typeof propertyScenarioSchema>;

/** A steps scenario: a fixed program of actions and expectations. */
export type StepsScenario = z.infer<typeof stepsScenarioSchema>;

/** A transfer-learning scenario on real data. */
export type TransferScenario = z.infer<typeof transferScenarioSchema>;

/** Any scenario. */
export type Scenario = z.infer<typeof scenarioSchema>;

/** A scenario together with the file it came from. */
export interface LoadedScenario {
  scenario: Scenario;
  /** Path of the scenario file, relative to the working directory when it was loaded. */
  file: string;
}
