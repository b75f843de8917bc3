/** Process exit codes of the bn-suite CLI. */
export const EXIT = {
  /** Everything as expected. */
  ok: 0,
  /** An unexpected result or a baseline change. */
  unexpected: 1,
  /** Usage, configuration or input error. */
  usage: 2,
  /** The harness itself failed. */
  harness: 3,
} as const;

/** One of the CLI's exit codes. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
