import { Command, CommanderError } from 'commander';
import { collectDoctorReport } from '../doctor/doctor';
import { UsageError } from '../errors';
import { BN_SUITE_VERSION } from '../version';
import { EXIT, type ExitCode } from './exit-codes';
import { formatDoctor } from './format-doctor';
import type { CliIo } from './io';

/**
 * Parses argv, runs one command and returns its exit code. The only code in bn-suite that talks to
 * the user; everything it calls returns data.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  const program = new Command('bn-suite')
    .description('Batch-normalization semantics checks for TensorFlow.js')
    .version(BN_SUITE_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program
    .command('doctor')
    .description('Report Node, tfjs versions and which backends load here (with reasons)')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      const report = await collectDoctorReport();
      io.stdout(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctor(report)}\n`);
      exitCode = EXIT.ok;
    });

  try {
    await program.parseAsync(argv as string[], { from: 'node' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through exitOverride with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      io.stderr(`bn-suite: ${error.message}\n`);
      return EXIT.usage;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr(`bn-suite: internal error (please report): ${detail}\n`);
    return EXIT.harness;
  }
}
