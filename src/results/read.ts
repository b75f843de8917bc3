import * as fs from 'node:fs';
import { UsageError } from '../engine/errors';
import { parseSuiteResult, ResultsFormatError, type SuiteResult } from './schema';

/**
 * Reads and validates a results.json written by bn-suite. A missing, non-JSON or invalid file is a
 * usage error naming the file and, for an invalid one, the first field that is wrong.
 */
export function readResultsFile(file: string): SuiteResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${file}: cannot read results (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file}: not JSON (${(error as Error).message})`);
  }
  try {
    return parseSuiteResult(data);
  } catch (error) {
    if (error instanceof ResultsFormatError) throw new UsageError(`${file}: not a bn-suite results file: ${error.message}`);
    throw error;
  }
}
