/**
 * Runs the transfer scenario on nsfwjs's pre-trained MobileNetV2 (see pretrained-base.ts for the
 * fixed setup and its reasons): the base is loaded from the host (the Node host reads nsfwjs's
 * model files), cut at `out_relu`, and a new head is fine-tuned on MNIST digits in the two
 * variants, frozen the tfjs way and in inference mode (the control), with the same batches.
 * Nothing is pre-trained here: the base comes pre-trained.
 *
 * @packageDocumentation
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { PretrainedModels } from '../../host-services';
import type { CheckOutcome } from '../../invariants/types';
import { UnsupportedCaseError } from '../../run/verdict';
import { tf, tfl } from '../../tfjs';
import type { TransferEvidence } from './evidence';
import { VARIANTS, type TransferVariant } from './models';
import { buildImageFineTuneModel, PRETRAINED_TRANSFER, pretrainedTransferData, toImages } from './pretrained-base';
import { fineTuneVariant, judgeTransfer, type VariantRun } from './run-transfer';
import type { TransferSpec } from './schema';

/** Runs the scenario on the active backend; fails when the asserted variant's final gap exceeds `maxGapPoints`. */
export async function runPretrainedTransfer(spec: TransferSpec, models: PretrainedModels | null): Promise<CheckOutcome<TransferEvidence>> {
  const started = performance.now();
  const data = pretrainedTransferData(spec.profile);
  const loaded = models?.artifacts(PRETRAINED_TRANSFER.model, { inputSize: data.size, cutAt: PRETRAINED_TRANSFER.cutAt }) ?? 'this host has no pre-trained models (the Node host reads them from the nsfwjs package)';
  if (typeof loaded === 'string') throw new UnsupportedCaseError(`${PRETRAINED_TRANSFER.model}: ${loaded}`, tf.getBackend());
  const train = toImages(data.train, data.size);
  const test = toImages(data.test, data.size);
  const dataMs = Math.round(performance.now() - started);
  const runs: Partial<Record<TransferVariant, VariantRun>> = {};
  let baseMs = 0;
  try {
    for (const variant of VARIANTS) {
      const loadStarted = performance.now();
      // The host cut the model at out_relu: what loads is the convolutional base.
      const base: LayersModel = await tfl.loadLayersModel(tf.io.fromMemory(loaded));
      baseMs += Math.round(performance.now() - loadStarted);
      runs[variant] = await fineTuneVariant(spec, base, variant, train, test, {
        build: (b, v) => buildImageFineTuneModel(b, v, spec.seed, data.size),
        batchSize: PRETRAINED_TRANSFER.batchSize,
        learningRate: PRETRAINED_TRANSFER.learningRate,
        measureEveryEpoch: PRETRAINED_TRANSFER.measureEveryEpoch[spec.profile],
      });
    }
  } finally {
    tf.dispose([train.x, train.y, test.x, test.y]);
  }
  const label = spec.variant === 'frozen' ? 'frozen MobileNetV2 base' : 'control (base in inference mode)';
  return judgeTransfer(spec, runs as Record<TransferVariant, VariantRun>, label, {
    sizes: { pretrainTrain: 0, pretrainTest: 0, targetTrain: data.train.n, targetTest: data.test.n, pretrainDigits: [], targetDigits: [...PRETRAINED_TRANSFER.digits] },
    domainShift: null,
    cache: 'uncached',
    pretrain: { trainingModeAccuracy: null, inferenceModeAccuracy: null, epochs: 0, steps: 0, calibration: {} },
    pretrained: { model: PRETRAINED_TRANSFER.model, cutAt: PRETRAINED_TRANSFER.cutAt, inputSize: data.size },
    stepsPerEpoch: Math.ceil(data.train.n / PRETRAINED_TRANSFER.batchSize),
    timings: { dataMs, baseMs, totalMs: Math.round(performance.now() - started) },
  });
}
