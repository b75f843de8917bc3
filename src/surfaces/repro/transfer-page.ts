/**
 * The browser form of a transfer repro: a self-contained `index.html` that does what `repro.mjs`
 * does (transfer-script.ts) on webgl or webgpu, inside the page every page repro shares
 * (render-page.ts). MLP bases only: MobileNetV2 is read from the nsfwjs package with Node's
 * `require`, and its scenario runs on wasm.
 *
 * @packageDocumentation
 */
import type { BrowserBackendName } from '../../engine/backends';
import { UsageError } from '../../engine/errors';
import { renderReproPage, type PageBundle } from './render-page';
import { transferParts, type TransferScriptInput } from './transfer-script';

/** Everything {@link renderTransferPage} needs. */
export interface TransferPageInput extends TransferScriptInput {
  backend: BrowserBackendName;
  /** The tfjs bundles in load order, pinned to the tfjs under test (`bundlesFor`). */
  bundles: readonly PageBundle[];
}

/**
 * Renders the page: the pinned tfjs bundles from jsDelivr, the base's weights and the digits
 * inlined, the same fine-tuning as the script, and `window.BN_SUITE_REPRO.exitCode` 1 while the
 * behaviour reproduces. Throws a UsageError for a MobileNetV2 capture.
 */
export function renderTransferPage(input: TransferPageInput): string {
  if (input.capture.architecture !== 'mlp') throw new UsageError(`a ${input.capture.architecture} transfer repro runs on Node only (its base is read from the nsfwjs package); it has no ${input.backend} page`);
  return renderReproPage(transferParts(input), input.backend, input.bundles);
}
