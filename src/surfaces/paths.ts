import * as path from 'node:path';

/** bn-suite's package root, where the shipped data lives: this file is src/surfaces/paths.ts or dist/surfaces/paths.js. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

/** The scenarios bn-suite ships. */
export const SHIPPED_SCENARIOS = path.join(PACKAGE_ROOT, 'scenarios');

/** The known issues bn-suite ships for the tfjs version it pins. */
export const SHIPPED_EXPECTATIONS = path.join(PACKAGE_ROOT, 'expectations', 'known-issues.yaml');
