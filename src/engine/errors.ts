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

/**
 * bn-suite's own environment failed (a report that cannot be written, a disk that filled): exit 3
 * with one line, no stack trace, and never a verdict about tfjs.
 */
export class HarnessError extends Error {
  override readonly name = 'HarnessError';
}
