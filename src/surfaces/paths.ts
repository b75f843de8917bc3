import * as fs from 'node:fs';
import * as path from 'node:path';

/** bn-suite's package root, where the shipped data lives: this file is src/surfaces/paths.ts or dist/surfaces/paths.js. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

/** The scenarios bn-suite ships. */
export const SHIPPED_SCENARIOS = path.join(PACKAGE_ROOT, 'scenarios');

/** The known issues bn-suite ships for the tfjs version it pins. */
export const SHIPPED_EXPECTATIONS = path.join(PACKAGE_ROOT, 'expectations', 'known-issues.yaml');

/** The known-issues file a scenario folder may hold for its own scenarios; it is not a scenario. */
export const FOLDER_KNOWN_ISSUES_FILE = 'known-issues.yaml';

/**
 * The known-issues file used when none is given: the shipped one for the shipped scenarios, a
 * folder's own `known-issues.yaml` when it has one, none (null: every failure is unexpected)
 * otherwise, since the shipped entries name the shipped scenarios.
 */
export function defaultExpectationsFile(scenarioDir: string): string | null {
  if (path.resolve(scenarioDir) === path.resolve(SHIPPED_SCENARIOS)) return SHIPPED_EXPECTATIONS;
  const own = path.join(scenarioDir, FOLDER_KNOWN_ISSUES_FILE);
  return fs.existsSync(own) ? own : null;
}
