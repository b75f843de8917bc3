import type { InvariantId } from '../invariants/types';

/** Frameworks whose frozen-BN rules bn-suite can hold tfjs to. */
export const CONTRACT_IDS = ['keras-3', 'tf-keras', 'keras-2.1.3', 'keras-2.1.2', 'pytorch'] as const;

/** One of {@link CONTRACT_IDS}. */
export type ContractId = (typeof CONTRACT_IDS)[number];

/** Whether an invariant holds under a framework's rules for a frozen BN. */
export type Prediction = 'holds' | 'violated';

/** A framework's frozen-BN semantics, invariant by invariant, with where each rule comes from. */
export interface SemanticsContract {
  id: ContractId;
  title: string;
  provenance: string;
  /** Predictions for the BN-semantics invariants; the others (leaks, determinism...) hold everywhere. */
  predictions: Partial<Record<InvariantId, Prediction>>;
}

/**
 * The frozen-BN table of bn-semantics.md as data. "Frozen" means trainable=false in Keras and
 * requires_grad=False in PyTorch; the scenarios called in training mode are what is predicted.
 */
export const CONTRACTS: readonly SemanticsContract[] = [
  {
    id: 'keras-3',
    title: 'Keras 3',
    provenance: 'keras/src/layers/normalization/batch_normalization.py: `if training and self.trainable` else moving statistics, no update',
    predictions: { 'frozen-moving-stats': 'holds', 'frozen-gamma-beta': 'holds', 'mode-switch': 'holds', 'inference-purity': 'holds', 'oracle-agreement': 'holds' },
  },
  {
    id: 'tf-keras',
    title: 'tf.keras (TF 2.x) / tf-keras',
    provenance:
      'tf-keras BatchNormalization: `if not self.trainable: training = False`; engine/training_test.py test_batchnorm_trainable_false; its fused path (4D/5D inputs) stores a Bessel-corrected moving variance (test_bessels_correction), unlike the biased oracle',
    predictions: { 'frozen-moving-stats': 'holds', 'frozen-gamma-beta': 'holds', 'mode-switch': 'holds', 'inference-purity': 'holds', 'oracle-agreement': 'violated' },
  },
  {
    id: 'keras-2.1.3',
    title: 'Keras 2.1.3 - 2.2.x',
    provenance: 'updates disabled for trainable=false, batch statistics still used in the training phase (keras PR #9965, closed unmerged)',
    predictions: { 'frozen-moving-stats': 'holds', 'frozen-gamma-beta': 'holds', 'mode-switch': 'violated', 'inference-purity': 'holds', 'oracle-agreement': 'holds' },
  },
  {
    id: 'keras-2.1.2',
    title: 'Keras <= 2.1.2',
    provenance: 'moving statistics still updated for trainable=false (keras #4762, #6570, #7085); batch statistics in training',
    predictions: { 'frozen-moving-stats': 'violated', 'frozen-gamma-beta': 'holds', 'mode-switch': 'violated', 'inference-purity': 'holds', 'oracle-agreement': 'holds' },
  },
  {
    id: 'pytorch',
    title: 'PyTorch (requires_grad=False, module in train mode)',
    provenance:
      'torch.nn.BatchNorm docs: running stats update whenever the module is in training mode (.eval() stops it); it normalizes with the biased variance but stores the unbiased one, and its momentum is the complement of Keras\'s',
    predictions: { 'frozen-moving-stats': 'violated', 'frozen-gamma-beta': 'holds', 'mode-switch': 'violated', 'inference-purity': 'holds', 'oracle-agreement': 'violated' },
  },
];
