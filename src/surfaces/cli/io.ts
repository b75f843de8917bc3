/** A terminal stream a progress bar can redraw: what cli-progress writes to. */
export interface TerminalStream extends NodeJS.WritableStream {
  isTTY?: boolean;
  columns?: number;
}

/** Where the CLI writes. Injected so commands can be tested in-process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** stderr when it is an interactive terminal (a redrawn progress bar), null under CI or a pipe (a line per job). */
  terminal: TerminalStream | null;
}

/** The real process streams. */
export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  terminal: process.stderr.isTTY && !process.env.CI ? process.stderr : null,
};
