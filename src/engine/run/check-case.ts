import { withSeed } from '../determinism/with-seed';
import type { Invariant, InvariantContext } from '../invariants/types';
import type { CaseSpec } from './case-spec';
import { verdictFromError, type CaseVerdict } from './verdict';

/**
 * Checks one invariant on one case under the case's seed. A throw of tfjs becomes an
 * `error` or `unsupported` verdict, and the active backend is restored whatever the check did.
 */
export async function checkCase(invariant: Invariant, spec: CaseSpec, context: InvariantContext): Promise<CaseVerdict> {
  try {
    return await withSeed(spec.data.seed, () => invariant.check(spec, context));
  } catch (error) {
    return verdictFromError(error);
  } finally {
    await context.activate(context.backend);
  }
}
