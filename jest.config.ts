/**
 * @jest-config-loader ts-node
 * @jest-config-loader-options {"transpileOnly": true}
 */
import type { Config } from 'jest';

// swc transpiles only; `npm test` runs `tsc --noEmit` first for the type check.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  // Engine modules receive tfjs from their host; tests stand in for the Node host.
  setupFiles: ['<rootDir>/tests/helpers/bind-tfjs.ts'],
  // One Chromium start for the whole run: which browser backends can run, and why not.
  globalSetup: '<rootDir>/tests/helpers/browser-probe.ts',
  transform: { '^.+\\.ts$': ['@swc/jest', {}] },
  // tfjs work is CPU-bound and this machine has 2 cores: one worker per core.
  maxWorkers: 2,
  testTimeout: 120_000,
};

export default config;
