/** Where the CLI writes. Injected so commands can be tested in-process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stdout is an interactive terminal (progress bars), false under CI or a pipe. */
  isTty: boolean;
}

/** The real process streams. */
export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  isTty: Boolean(process.stdout.isTTY) && !process.env.CI,
};
