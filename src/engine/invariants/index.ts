import { backendParity } from './backend-parity';
import { determinism } from './determinism';
import { frozenGammaBeta } from './frozen-gamma-beta';
import { frozenMovingStats } from './frozen-moving-stats';
import { inferencePurity } from './inference-purity';
import { modeSwitch } from './mode-switch';
import { noLeakedTensors } from './no-leaked-tensors';
import { oracleAgreement } from './oracle-agreement';
import { roundTrip } from './round-trip';
import { trainableBookkeeping } from './trainable-bookkeeping';
import { gradientAgreement } from './gradient-agreement';
import { trainingAgreement } from './training-agreement';
import type { Invariant, InvariantId } from './types';

/**
 * Every invariant, by id. Checked as a Record, so the compiler refuses a new id without its
 * invariant, while each entry keeps its own evidence type.
 */
export const INVARIANTS = {
  'frozen-moving-stats': frozenMovingStats,
  'frozen-gamma-beta': frozenGammaBeta,
  'inference-purity': inferencePurity,
  'mode-switch': modeSwitch,
  'oracle-agreement': oracleAgreement,
  determinism,
  'round-trip': roundTrip,
  'backend-parity': backendParity,
  'no-leaked-tensors': noLeakedTensors,
  'trainable-bookkeeping': trainableBookkeeping,
  'gradient-agreement': gradientAgreement,
  'training-agreement': trainingAgreement,
} satisfies Record<InvariantId, Invariant>;
