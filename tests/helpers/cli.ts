import type { CliIo } from '../../src/surfaces/cli/io';
import { main } from '../../src/surfaces/cli/main';

/** A CliIo that records what the CLI prints, not a terminal. */
export function captureIo(): CliIo & { out: string; err: string } {
  const io = { out: '', err: '', terminal: null, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

/** Runs `bn-suite ...args` in-process and returns its exit code and what it printed. */
export async function runCli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(['node', 'bn-suite', ...args], io);
  return { code, out: io.out, err: io.err };
}
