/**
 * An error in what the user asked for (an unknown backend, a malformed scenario, a bad flag).
 * The CLI maps it to exit code 2; the library throws it instead of printing.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super(message);
  }
}
