import { type Command, CommanderError, InvalidArgumentError } from 'commander';

/**
 * What parsing the flags of an npm script (`npm run bench`, `npm run mutants`) gave: its options,
 * or the exit code to end with when commander already printed the help (0) or a usage error (2).
 */
export type ScriptArgs<T> = { options: T } | { exitCode: 0 | 2 };

/** A commander option-argument parser: an integer (as `Number` reads it) of at least `min`. */
export function integerAtLeast(min: number): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(`need an integer >= ${min}`);
    return value;
  };
}

/**
 * Parses `argv` (the user's arguments, without node and the script) with `program`, which declares
 * the script's flags and defaults. Errors go to stderr prefixed with `label`, followed by the usage
 * line; unknown flags and positional arguments are usage errors. Never exits the process.
 */
export function parseScriptArgs<T>(program: Command, label: string, argv: readonly string[]): ScriptArgs<T> {
  program
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`${label}: ${text}`) })
    .showHelpAfterError(`usage: ${program.name()} ${program.usage()}`);
  try {
    program.parse(argv as string[], { from: 'user' });
  } catch (error) {
    // --help ends through exitOverride with exit code 0; every other commander error is a usage error.
    if (error instanceof CommanderError) return { exitCode: error.exitCode === 0 ? 0 : 2 };
    throw error;
  }
  return { options: program.opts<T & Record<string, unknown>>() };
}
