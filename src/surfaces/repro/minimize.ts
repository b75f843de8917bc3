import { UsageError } from '../../engine/errors';
import type { Invariant, InvariantContext } from '../../engine/invariants/types';
import { validateModelSpec } from '../../engine/models/build';
import type { CaseSpec } from '../../engine/run/case-spec';
import { checkCase } from '../../engine/run/check-case';
import type { CaseVerdict } from '../../engine/run/verdict';

/** A non-passing verdict: what a counterexample has. */
export type FailingVerdict = Exclude<CaseVerdict, { status: 'pass' }>;

/** The result of {@link minimizeCase}. */
export interface MinimizeResult {
  /** The counterexample minimization started from. */
  original: CaseSpec;
  /** The smallest case found that still fails the same way. */
  spec: CaseSpec;
  verdict: FailingVerdict;
  /** Candidate cases checked (each one a full run of the invariant). */
  attempts: number;
  /** Accepted reductions, in order, e.g. "momentum 0 -> 0.99". */
  reductions: string[];
  durationMs: number;
}

/** Options of {@link minimizeCase}. */
export interface MinimizeOptions {
  /** The verdict of `spec`, when known (saves one check). */
  verdict?: CaseVerdict;
  /** Upper bound on candidate checks (default 300). */
  maxAttempts?: number;
  /** The failing parts a smaller case may show besides the reference's (a known issue's fingerprint parts); any when absent. */
  allowedParts?: readonly string[];
}

/** Elements of a case's input batch (batch x per-sample size): the size minimization never increases. */
export function caseElements(spec: CaseSpec): number {
  return spec.data.batch * spec.model.inputShape.reduce((a, b) => a * b, 1);
}

/**
 * The numbers in an error message (sizes, shapes, indices): they follow the case's dimensions, so
 * a smaller case throwing the same error says other numbers. Its source is also what a repro script
 * compares messages with.
 */
export const MESSAGE_NUMBERS = /\d+/g;

/**
 * The class of a thrown error: its name and the first line of its message with every number as
 * `#` (`Error: Size(#) must match the product of shape #,#,#`). Two throws of one class are the same
 * error on differently sized cases.
 */
export function errorMessageClass(errorName: string, message: string): string {
  return `${errorName}: ${message.split('\n')[0].replace(MESSAGE_NUMBERS, '#')}`;
}

/**
 * Same kind of failure: same status; for failures at least one failing part the reference has (a
 * smaller case must keep the fault, not trade it for another) and, when `allowedParts` is given
 * (the parts a known issue lists), no part outside it; for errors the same {@link errorMessageClass}
 * (a smaller case must throw the same error, not another TypeError), for unsupported the same kernel. A candidate that shows more of the same fault (moving_mean moving
 * as well as moving_variance) is a better repro, so extra parts are accepted within that list.
 */
export function sameFailure(reference: FailingVerdict, candidate: CaseVerdict, allowedParts?: readonly string[]): candidate is FailingVerdict {
  if (candidate.status !== reference.status) return false;
  if (reference.status === 'fail' && candidate.status === 'fail') {
    const keepsFault = candidate.fingerprint.parts.some((part) => reference.fingerprint.parts.includes(part));
    const allowed = allowedParts === undefined || candidate.fingerprint.parts.every((part) => allowedParts.includes(part) || reference.fingerprint.parts.includes(part));
    return keepsFault && allowed;
  }
  if (reference.status === 'error' && candidate.status === 'error') {
    return errorMessageClass(candidate.evidence.errorName, candidate.evidence.message) === errorMessageClass(reference.evidence.errorName, reference.evidence.message);
  }
  if (reference.status === 'unsupported' && candidate.status === 'unsupported') return candidate.evidence.kernel === reference.evidence.kernel;
  return true;
}

/**
 * One thing minimization may simplify: its current value, the values it prefers (best first), and
 * how to set one. A candidate is tried only when it ranks strictly better than the current value,
 * so every accepted change is a strict improvement and the search terminates.
 */
interface Dimension {
  name: string;
  get(spec: CaseSpec): unknown;
  /** Preferred values, best first; empty when the dimension must not change for this case. */
  preferred(spec: CaseSpec): unknown[];
  set(spec: CaseSpec, value: unknown): CaseSpec;
}

const clone = (spec: CaseSpec): CaseSpec => JSON.parse(JSON.stringify(spec)) as CaseSpec;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const smallerThan = (values: number[], current: number) => values.filter((v) => v < current);

function channelIndex(spec: CaseSpec): number {
  const rank = spec.model.inputShape.length + 1;
  const axis = spec.model.bn.axis < 0 ? spec.model.bn.axis + rank : spec.model.bn.axis;
  return axis - 1;
}

function axisIsLast(spec: CaseSpec): boolean {
  return channelIndex(spec) === spec.model.inputShape.length - 1;
}

/** A dimension over one numeric field, given by a path into the spec. */
function field(name: string, get: (s: CaseSpec) => number, put: (s: CaseSpec, v: number) => void, preferred: (s: CaseSpec) => number[]): Dimension {
  return {
    name,
    get,
    preferred,
    set(spec, value) {
      const next = clone(spec);
      put(next, value as number);
      return next;
    },
  };
}

/**
 * A dimension over an optional field whose absence means its default (the plain functional model,
 * depth 1, nothing shared, freeze before compile): simplifying it removes the field.
 */
function optional<T>(name: string, get: (s: CaseSpec) => T | undefined, remove: (s: CaseSpec) => void, fallback: T): Dimension {
  return {
    name,
    get: (s) => get(s) ?? fallback,
    preferred: () => [fallback],
    set(spec) {
      const next = clone(spec);
      remove(next);
      return next;
    },
  };
}

/** The simplifications, structure first (they shrink what the repro inlines), then the numbers. */
function dimensions(spec: CaseSpec): Dimension[] {
  const dims: Dimension[] = [
    // How the model is put together goes first: un-nesting needs depth 1 and a plain base.
    optional('container', (s) => s.model.container, (s) => delete s.model.container, 'functional'),
    optional('base container', (s) => s.model.baseContainer, (s) => delete s.model.baseContainer, 'functional'),
    optional('depth', (s) => s.model.depth, (s) => delete s.model.depth, 1),
    optional('shared', (s) => s.model.shared, (s) => delete s.model.shared, false),
    optional('freeze timing', (s) => s.freezeTiming, (s) => delete s.freezeTiming, 'before-compile'),
    {
      name: 'architecture',
      get: (s) => s.model.architecture,
      preferred: () => ['bn-only', 'dense'],
      set(s, value) {
        const next = clone(s);
        next.model.architecture = value as CaseSpec['model']['architecture'];
        return next;
      },
    },
    {
      name: 'nested',
      get: (s) => s.model.nested,
      // Freezing the base is the point of a nested case; never un-nest it.
      preferred: (s) => (s.freeze === 'base' ? [] : [false]),
      set(s, value) {
        const next = clone(s);
        next.model.nested = value as boolean;
        return next;
      },
    },
    {
      name: 'input rank',
      get: (s) => s.model.inputShape.length,
      // Dropping leading dims keeps the channel axis last; a non-last axis may be the point.
      preferred: (s) => (s.model.architecture === 'conv' || !axisIsLast(s) ? [] : smallerThan([1, 2], s.model.inputShape.length)),
      set(s, value) {
        const next = clone(s);
        const length = value as number;
        next.model.inputShape = s.model.inputShape.slice(s.model.inputShape.length - length);
        if (next.model.bn.axis > 0) next.model.bn.axis = length;
        return next;
      },
    },
  ];
  spec.model.inputShape.forEach((_, i) => {
    dims.push(
      field(
        `inputShape[${i}]`,
        (s) => s.model.inputShape[i] ?? 1,
        (s, v) => {
          if (i < s.model.inputShape.length) s.model.inputShape[i] = v;
        },
        (s) => (i < s.model.inputShape.length ? smallerThan([1, 2], s.model.inputShape[i]) : []),
      ),
    );
  });
  dims.push(
    field('hiddenUnits', (s) => s.model.hiddenUnits, (s, v) => (s.model.hiddenUnits = v), (s) => (s.model.architecture === 'bn-only' ? [] : smallerThan([1, 2], s.model.hiddenUnits))),
    field('batch', (s) => s.data.batch, (s, v) => (s.data.batch = v), (s) => smallerThan([1, 2], s.data.batch)),
    field('steps', (s) => s.steps, (s, v) => (s.steps = v), (s) => smallerThan([1], s.steps)),
    field('classes', (s) => s.model.classes, (s, v) => (s.model.classes = v), (s) => (s.model.classes === 0 ? [] : [2, 1])),
    {
      name: 'data (mean, scale)',
      get: (s) => [s.data.mean, s.data.scale],
      preferred: (s) => [[1, 0], [0, 1], [Math.round(s.data.mean), Math.round(s.data.scale)]],
      set(s, value) {
        const next = clone(s);
        [next.data.mean, next.data.scale] = value as [number, number];
        return next;
      },
    },
    field('momentum', (s) => s.model.bn.momentum, (s, v) => (s.model.bn.momentum = v), () => [0.99, 0.9]),
    field('epsilon', (s) => s.model.bn.epsilon, (s, v) => (s.model.bn.epsilon = v), () => [1e-3]),
    field('learningRate', (s) => s.learningRate, (s, v) => (s.learningRate = v), () => [0.01]),
    {
      name: 'gamma/beta init',
      get: (s) => [s.model.bn.gammaInit ?? null, s.model.bn.betaInit ?? null],
      preferred: () => [[1, 0]],
      set(s, value) {
        const next = clone(s);
        [next.model.bn.gammaInit, next.model.bn.betaInit] = value as [number, number];
        return next;
      },
    },
    field('axis', (s) => s.model.bn.axis, (s, v) => (s.model.bn.axis = v), () => [-1]),
    field('movingMeanInit', (s) => s.model.bn.movingMeanInit, (s, v) => (s.model.bn.movingMeanInit = v), () => [0]),
    field('movingVarianceInit', (s) => s.model.bn.movingVarianceInit, (s, v) => (s.model.bn.movingVarianceInit = v), () => [1]),
    {
      name: 'center',
      get: (s) => s.model.bn.center,
      preferred: () => [true],
      set(s, value) {
        const next = clone(s);
        next.model.bn.center = value as boolean;
        return next;
      },
    },
    {
      name: 'scale',
      get: (s) => s.model.bn.scale,
      preferred: () => [true],
      set(s, value) {
        const next = clone(s);
        next.model.bn.scale = value as boolean;
        return next;
      },
    },
  );
  return dims;
}

function isValid(spec: CaseSpec): boolean {
  try {
    validateModelSpec(spec.model);
  } catch {
    return false;
  }
  return spec.freeze !== 'base' || spec.model.nested;
}

const show = (value: unknown) => (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string' ? String(value) : JSON.stringify(value));

/**
 * Greedily simplifies a failing case while the invariant still fails the same way (re-checked with
 * {@link checkCase} on the context's backend): smaller architecture and shapes, fewer steps, then
 * the numbers towards tfjs defaults and simple values. Never returns a passing case and never
 * increases {@link caseElements}. Throws a UsageError when `spec` itself passes. Never prints.
 */
export async function minimizeCase(invariant: Invariant, spec: CaseSpec, context: InvariantContext, options: MinimizeOptions = {}): Promise<MinimizeResult> {
  const started = performance.now();
  const maxAttempts = options.maxAttempts ?? 300;
  let attempts = 0;
  let verdict = options.verdict;
  if (verdict === undefined) {
    attempts++;
    verdict = await checkCase(invariant, spec, context);
  }
  if (verdict.status === 'pass') throw new UsageError(`nothing to minimize: the case passes ${invariant.id} on ${context.backend}`);
  const reference: FailingVerdict = verdict;
  let current: { spec: CaseSpec; verdict: FailingVerdict } = { spec: clone(spec), verdict: reference };
  const reductions: string[] = [];

  for (let pass = 0, changed = true; changed && pass < 8 && attempts < maxAttempts; pass++) {
    changed = false;
    for (const dimension of dimensions(current.spec)) {
      const preferred = dimension.preferred(current.spec);
      const value = dimension.get(current.spec);
      const index = preferred.findIndex((p) => same(p, value));
      const rank = index < 0 ? preferred.length : index;
      for (const candidateValue of preferred.slice(0, rank)) {
        if (attempts >= maxAttempts) break;
        const candidate = dimension.set(current.spec, candidateValue);
        if (same(candidate, current.spec) || !isValid(candidate) || caseElements(candidate) > caseElements(current.spec)) continue;
        attempts++;
        const candidateVerdict = await checkCase(invariant, candidate, context);
        if (sameFailure(reference, candidateVerdict, options.allowedParts)) {
          reductions.push(`${dimension.name} ${show(value)} -> ${show(candidateValue)}`);
          current = { spec: candidate, verdict: candidateVerdict };
          changed = true;
          break;
        }
      }
    }
  }
  return { original: clone(spec), spec: current.spec, verdict: current.verdict, attempts, reductions, durationMs: Math.round(performance.now() - started) };
}
