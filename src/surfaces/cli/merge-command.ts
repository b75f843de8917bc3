import * as path from 'node:path';
import { readResultsFile } from '../../results/read';
import { mergeResults } from '../../results/merge';
import { EXIT, type ExitCode } from './exit-codes';
import type { CliIo } from './io';
import { writeReports } from '../report/write-reports';
import { summaryLine } from './run-command';

/** `bn-suite merge`: shards' results.json into one; exit code as for a run of the whole. */
export async function mergeCommand(files: readonly string[], out: string, io: CliIo): Promise<ExitCode> {
  const merged = mergeResults(files.map((file) => ({ file, suite: readResultsFile(file) })));
  await writeReports(path.resolve(out), merged);
  io.stdout(`${summaryLine(merged)}\nmerged ${files.length} shard(s) into ${out}\n`);
  return merged.summary.asExpected ? EXIT.ok : EXIT.unexpected;
}
