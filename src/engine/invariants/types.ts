import type { z } from 'zod';
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

/**
 * JSON facts that back a verdict (before/after values, max diffs, indices). Each invariant, scenario
 * kind and error verdict declares the exact shape of its own (see {@link Invariant.evidence}); this is
 * what they have in common.
 */
export type Evidence = Readonly<Record<string, unknown>>;

/**
 * What an invariant's check returns for one case: it holds, or it does not, with evidence of the
 * invariant's own shape `E` and the failure's fingerprint (which parts failed and by how much),
 * which known issues are matched against.
 */
export type CheckOutcome<E extends Evidence = Evidence> = { status: 'pass'; evidence: E } | { status: 'fail'; summary: string; evidence: E; fingerprint: Fingerprint };

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

/**
 * An invariant: one property of BN behaviour, checked on one case at a time. `S` is the schema of
 * its evidence, which results.json holds for a failing case and readers validate.
 */
export interface Invariant<S extends z.ZodType<Evidence, Evidence> = z.ZodType<Evidence, Evidence>> {
  id: InvariantId;
  title: string;
  /** The rule, as TF2 / Keras 3 state it, that the check holds tfjs to. */
  contract: string;
  /** The shape of the evidence `check` returns, as JSON carries it (non-finite numbers as null). */
  evidence: S;
  /** Runs the case and judges it. Throws for errors; the runner turns throws into verdicts. */
  check(spec: CaseSpec, context: InvariantContext): Promise<CheckOutcome<z.input<S>>>;
}

/**
 * Declares an invariant; the evidence its check returns is typed by its `evidence` schema (the
 * schema alone fixes the type, so a check returning another shape fails the type check).
 */
export function defineInvariant<S extends z.ZodType<Evidence, Evidence>>(invariant: {
  id: InvariantId;
  title: string;
  contract: string;
  evidence: S;
  check(spec: CaseSpec, context: InvariantContext): Promise<CheckOutcome<NoInfer<z.input<S>>>>;
}): Invariant<S> {
  return invariant;
}
