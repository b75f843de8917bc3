import type { BackendName } from '../backends';
import type { HostServices } from '../host-services';
import type { Fingerprint } from '../expectations/fingerprint';
import type { CaseSpec } from '../run/case-spec';

/** The invariants bn-suite checks, in report order. */
export const INVARIANT_IDS = [
  'frozen-moving-stats',
  'frozen-gamma-beta',
  'inference-purity',
  'mode-switch',
  'oracle-agreement',
  'determinism',
  'round-trip',
  'backend-parity',
  'no-leaked-tensors',
  'trainable-bookkeeping',
  'gradient-agreement',
  'training-agreement',
] as const;

/** One of {@link INVARIANT_IDS}. */
export type InvariantId = (typeof INVARIANT_IDS)[number];

/** JSON-serializable facts that back a verdict (before/after values, max diffs, indices). */
export type Evidence = Record<string, unknown>;

/**
 * What an invariant's check returns for one case: it holds, or it does not, with evidence and the
 * failure's fingerprint (which parts failed and by how much), which known issues are matched against.
 */
export type CheckOutcome = { status: 'pass'; evidence: Evidence } | { status: 'fail'; summary: string; evidence: Evidence; fingerprint: Fingerprint };

/** What a check may use besides the case: the backend it runs on and the others it may compare with. */
export interface InvariantContext {
  backend: BackendName;
  /** Other available backends, for cross-backend comparison. */
  otherBackends: readonly BackendName[];
  /** Makes a backend active; a check that switches must switch back to `backend` before returning. */
  activate(backend: BackendName): Promise<void>;
  /** The host's services: model store, cache, tfjs versions. */
  host: HostServices;
}

/** An invariant: one property of BN behaviour, checked on one case at a time. */
export interface Invariant {
  id: InvariantId;
  title: string;
  /** The rule, as TF2 / Keras 3 state it, that the check holds tfjs to. */
  contract: string;
  /** Runs the case and judges it. Throws for errors; the runner turns throws into verdicts. */
  check(spec: CaseSpec, context: InvariantContext): Promise<CheckOutcome>;
}

/** Declares an invariant (identity function that fixes the type, in the style of defineCheck). */
export function defineInvariant(invariant: Invariant): Invariant {
  return invariant;
}
