/**
 * The matrix document (matrix.json): one column per tfjs version, each the full results of that
 * version or the reason there are none. Validated when read, like results.json.
 *
 * @packageDocumentation
 */
import { z } from 'zod';
import { ResultsFormatError, suiteResultSchema } from './schema';

/** Bumped on any incompatible change of the matrix document. */
export const MATRIX_FORMAT_VERSION = 1;

const install = z.object({ reused: z.boolean(), durationMs: z.number().nonnegative() }).strict();

/** One tfjs version of the matrix. */
export const matrixColumnSchema = z.discriminatedUnion('status', [
  z.object({ requested: z.string(), status: z.literal('ran'), install: install.nullable(), wallMs: z.number().nonnegative(), suite: suiteResultSchema }).strict(),
  /** npm could not install it (unknown version, no registry): nothing ran. */
  z.object({ requested: z.string(), status: z.literal('not-installed'), reason: z.string(), unknownVersion: z.boolean() }).strict(),
  /** bn-suite's own code or the child process failed on this version: no verdicts recorded. */
  z.object({ requested: z.string(), status: z.literal('harness-failed'), reason: z.string() }).strict(),
]);
export type MatrixColumn = z.infer<typeof matrixColumnSchema>;

export const matrixResultSchema = z
  .object({
    format: z.literal('bn-suite-matrix'),
    formatVersion: z.literal(MATRIX_FORMAT_VERSION),
    seed: z.number().int(),
    runs: z.number().int().positive(),
    startedAt: z.string(),
    durationMs: z.number().nonnegative(),
    parallel: z.number().int().positive(),
    columns: z.array(matrixColumnSchema).min(1),
  })
  .strict();
export type MatrixResult = z.infer<typeof matrixResultSchema>;

/** Validates a parsed matrix.json. @throws ResultsFormatError naming the first bad field */
export function parseMatrixResult(data: unknown): MatrixResult {
  const parsed = matrixResultSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ResultsFormatError(issue.path.join('.') || '(root)', issue.message);
  }
  return parsed.data;
}
