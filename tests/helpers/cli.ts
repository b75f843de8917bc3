import type { CliIo } from '../../src/surfaces/cli/io';

/** A CliIo that records what the CLI prints, not a terminal. */
export function captureIo(): CliIo & { out: string; err: string } {
  const io = { out: '', err: '', isTty: false, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}
