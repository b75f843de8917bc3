/**
 * The boundary between the behaviour under test and bn-suite's own use of tfjs. A throw while
 * bn-suite turns its data into tensors is bn-suite's problem (a shape it got wrong, an API the
 * tfjs in use lacks), even though tfjs raises it: it must stop the run as a harness fault instead
 * of becoming an `error` verdict that a known issue could absorb. Everything bn-suite makes before
 * the behaviour runs goes through {@link preparing}.
 *
 * @packageDocumentation
 */

/** tfjs threw while bn-suite prepared a case; never a verdict (see `verdictFromError`). */
export class CasePreparationError extends Error {
  override name = 'CasePreparationError';
  constructor(
    readonly what: string,
    override readonly cause: unknown,
  ) {
    const message = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`preparing ${what} failed: ${message.split('\n')[0]}`);
    if (cause instanceof Error && cause.stack !== undefined) this.stack = `${this.name}: ${this.message}\ncaused by ${cause.stack}`;
  }
}

/** Runs one step of bn-suite's own preparation (`what`: "the input tensor"), marking any throw as ours. */
export function preparing<T>(what: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    throw new CasePreparationError(what, error);
  }
}
