import * as fs from 'node:fs';
import { z } from 'zod';
import { UsageError } from '../engine/errors';
import type { SuiteResult } from '../engine/run/run-suite';

const resultsShape = z.looseObject({
  format: z.literal('bn-suite-results'),
  formatVersion: z.literal(1),
  tool: z.looseObject({ name: z.literal('bn-suite'), version: z.string() }),
  tfjs: z.record(z.string(), z.string()),
  seed: z.number(),
  runs: z.number(),
  backends: z.array(z.looseObject({ name: z.string(), available: z.boolean() })),
  results: z.array(
    z.looseObject({
      scenario: z.string(),
      invariant: z.string(),
      backend: z.string(),
      status: z.enum(['pass', 'fail', 'error', 'unsupported']),
      outcome: z.string(),
      casesRun: z.number(),
    }),
  ),
});

/**
 * Reads a results.json written by bn-suite. A missing, non-JSON or foreign file is a usage error
 * that says which; the content is checked only as far as comparisons and merges rely on it.
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
  const parsed = resultsShape.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`${file}: not a bn-suite results file: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data as unknown as SuiteResult;
}
