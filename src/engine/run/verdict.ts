import { UsageError } from '../errors';
import type { Fingerprint } from '../expectations/fingerprint';
import type { Evidence } from '../invariants/types';
import { errorOrigin, innermostFrame } from './error-origin';
import { CasePreparationError } from './preparation';
import { tf } from '../tfjs';

/** Verdict statuses, in the words: holds, violated, threw, or needs a kernel the backend lacks. */
export const VERDICT_STATUSES = ['pass', 'fail', 'error', 'unsupported'] as const;

/** One of {@link VERDICT_STATUSES}. */
export type VerdictStatus = (typeof VERDICT_STATUSES)[number];

/** The verdict on one case. */
export type CaseVerdict =
  | { status: 'pass'; evidence: Evidence }
  | { status: 'fail'; summary: string; evidence: Evidence; fingerprint: Fingerprint }
  | { status: 'error'; summary: string; evidence: { message: string; errorName: string; at: string | null } }
  | { status: 'unsupported'; summary: string; evidence: { kernel: string | null; backend: string; message: string } };

/**
 * Thrown by a check when the behaviour cannot be observed in this run for a reason that is neither
 * tfjs's fault nor bn-suite's (e.g. a cross-backend comparison with one backend): an `unsupported`
 * verdict with the reason, never an error.
 */
export class UnsupportedCaseError extends Error {
  override name = 'UnsupportedCaseError';
  constructor(
    message: string,
    readonly backend: string,
  ) {
    super(message);
  }
}

const MISSING_KERNEL = /Kernel '([^']+)' not registered for backend '([^']+)'/;
/** tfjs 2.x says the same of a kernel that neither the backend nor the op's fallback provides. */
const MISSING_KERNEL_V2 = /Error running (\w+): Neither modular kernel nor forward func passed/;
/** A kernel that exists but refuses this use, in tfjs's own words (tfjs 1.x wasm: "Broadcasting along outer dims is not yet supported for Div."). */
const KERNEL_LIMITATION = /^(.+) is not yet supported for (\w+)\.?$/;

/**
 * bn-suite's own code threw while running a case: a bug of ours (or a tfjs API we rely on that the
 * tfjs in use lacks). The run stops with exit 3 and records no verdict for it.
 */
export class HarnessFault extends Error {
  override name = 'HarnessFault';
  constructor(override readonly cause: unknown) {
    const message = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`bn-suite's own code failed, not tfjs: ${message.split('\n')[0]} (at ${innermostFrame(cause) ?? 'an unknown place'})`);
    if (cause instanceof Error && cause.stack !== undefined) this.stack = `${this.name}: ${this.message}\ncaused by ${cause.stack}`;
  }
}

/**
 * Turns what a check threw into a verdict. A kernel the backend lacks is `unsupported` (naming the
 * kernel) rather than an error: the behaviour cannot be observed there, which is a fact to report,
 * not a fault of the suite or of BN.
 *
 * @throws UsageError as is, and HarnessFault for anything bn-suite's own code threw: neither is a verdict
 */
export function verdictFromError(error: unknown): CaseVerdict {
  // First: a throw while bn-suite prepared the case is ours even when it names a missing kernel.
  if (error instanceof CasePreparationError) throw new HarnessFault(error);
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UnsupportedCaseError) return { status: 'unsupported', summary: message, evidence: { kernel: null, backend: error.backend, message } };
  const missing = MISSING_KERNEL.exec(message);
  if (missing !== null) {
    return { status: 'unsupported', summary: `kernel ${missing[1]} is not available on ${missing[2]}`, evidence: { kernel: missing[1], backend: missing[2], message } };
  }
  const missingV2 = MISSING_KERNEL_V2.exec(message);
  if (missingV2 !== null) {
    const backend = backendOf(error);
    return { status: 'unsupported', summary: `kernel ${missingV2[1]} is not available on ${backend}`, evidence: { kernel: missingV2[1], backend, message } };
  }
  const limitation = errorOrigin(error) === 'tfjs' ? KERNEL_LIMITATION.exec(message.split('\n')[0]) : null;
  if (limitation !== null) {
    const backend = backendOf(error);
    return { status: 'unsupported', summary: `kernel ${limitation[2]} on ${backend}: ${limitation[1]} is not supported`, evidence: { kernel: limitation[2], backend, message } };
  }
  // Input errors and bn-suite's own faults are never a statement about tfjs, nor is a throw while
  // bn-suite prepared the case, wherever tfjs raised it.
  if (error instanceof UsageError || error instanceof HarnessFault) throw error;
  if (errorOrigin(error) !== 'tfjs') throw new HarnessFault(error);
  const errorName = error instanceof Error ? error.name : typeof error;
  return { status: 'error', summary: `${errorName}: ${message.split('\n')[0]}`, evidence: { message, errorName, at: innermostFrame(error) } };
}

/** Backends that errors were raised on, when that differs from the backend active at verdict time. */
const raisedOn = new WeakMap<object, string>();

/**
 * Records that `error` was raised while `backend` was active, for an invariant that switches
 * backends (backend-parity) and is back on its own one when the verdict is made. Returns `error`.
 */
export function raisedOnBackend<E>(error: E, backend: string): E {
  if (typeof error === 'object' && error !== null && !raisedOn.has(error)) raisedOn.set(error, backend);
  return error;
}

function backendOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && raisedOn.has(error)) return raisedOn.get(error) as string;
  // engine().backendName is null before any backend is set; the message then cannot name one.
  return tf.engine().backendName ?? 'the active backend';
}
