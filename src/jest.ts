/**
 * `bn-suite/jest`: BN matchers for your own jest tests. Importing this module registers them with
 * jest's global `expect` (put it in `setupFilesAfterEach`, or import it at the top of a test file):
 *
 * ```ts
 * import 'bn-suite/jest';
 * test('my frozen base keeps its BN statistics', async () => {
 *   await expect(fineTuneModel).toKeepFrozenBatchNormStatistics(x, y);
 * });
 * ```
 *
 * The matchers run on the tfjs your project installs (the same binding as `bn-suite`).
 *
 * @packageDocumentation
 */
// The augmentation below needs jest's `expect` module in the program (every jest install has it).
import type {} from 'expect';
import { bindNodeTfjs } from './hosts/node/tfjs';
import { bnSuiteMatchers, type MatcherLabels, type MatcherOptions, type MatcherSamples } from './surfaces/jest/matchers';

bindNodeTfjs();

// jest's global; absent when this module is loaded outside jest, where there is nothing to extend.
declare const expect: { extend(matchers: Record<string, unknown>): void } | undefined;
if (typeof expect !== 'undefined') expect.extend(bnSuiteMatchers);

export { bnSuiteMatchers, type MatcherLabels, type MatcherOptions, type MatcherSamples, type MatcherResult } from './surfaces/jest/matchers';

/** The matchers as `expect(model)` offers them once this module is imported. */
export interface BnSuiteMatchers<R> {
  /** Fine-tuning the model as it is frozen leaves the moving statistics of its frozen BN layers unchanged. */
  toKeepFrozenBatchNormStatistics(x: MatcherSamples, y?: MatcherLabels, options?: MatcherOptions): Promise<R>;
  /** A training-mode call (what fit runs) gives the same output as predict. */
  toGiveTheSameOutputInBothModes(x: MatcherSamples): Promise<R>;
  /** predict changes no BN weight. */
  toBeInferencePure(x: MatcherSamples): Promise<R>;
}

declare module 'expect' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Matchers<R extends void | Promise<void>, T = unknown> extends BnSuiteMatchers<R> {}
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface Matchers<R, T = {}> extends BnSuiteMatchers<R> {}
  }
}
