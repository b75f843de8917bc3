/**
 * The upstream coverage table: every BatchNormalization test case of the frameworks' own test files
 * (tfjs-layers, Keras 3, tf-keras, PyTorch), each either translated as a shipped scenario, with the
 * verdict it gets on the pinned tfjs, or listed with the reason it cannot be expressed. One YAML
 * file per upstream source under `expectations/upstream-coverage/`; `npm run coverage` prints the
 * table and its counts.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { readYamlWithSchema } from '../../surfaces/inputs/yaml-schema';
import { matchKnownIssue } from '../../engine/expectations/classify';
import type { KnownIssue } from '../../engine/expectations/known-issues';
import type { InvariantId } from '../../engine/invariants/types';

/** What the pinned tfjs does on a translated case (cpu): the main job's verdict for its scenario. */
export const COVERAGE_VERDICTS = ['pass', 'fail', 'error', 'unsupported'] as const;

/** One of {@link COVERAGE_VERDICTS}. */
export type CoverageVerdict = (typeof COVERAGE_VERDICTS)[number];

const expressed = z
  .object({
    test: z.string().min(1),
    /** The parameter values of this case, when the upstream test is parameterized. */
    parameters: z.string().min(1).optional(),
    scenario: z.string().min(1),
    verdict: z.enum(COVERAGE_VERDICTS),
    /** What the translation changes or leaves out, and why (a Keras-only assertion inside an expressed test). */
    note: z.string().min(1).optional(),
  })
  .strict();

const notExpressed = z
  .object({
    test: z.string().min(1),
    parameters: z.string().min(1).optional(),
    /** Why no scenario can say what the case says (a Keras-only feature, a CUDA kernel, ...). */
    notExpressed: z.string().min(1),
  })
  .strict();

/** One upstream source file and its cases. */
export const coverageFileSchema = z
  .object({
    source: z.enum(['tfjs-layers', 'keras3', 'tf-keras', 'pytorch']),
    /** Upstream repository, file and the revision read. */
    repository: z.string().min(1),
    files: z.array(z.string().min(1)).min(1),
    revision: z.string().min(1),
    cases: z.array(z.union([expressed, notExpressed])).min(1),
  })
  .strict();

/** A coverage file, parsed. */
export type CoverageFile = z.infer<typeof coverageFileSchema>;

/** One case of a coverage file. */
export type CoverageCase = CoverageFile['cases'][number];

/** The shipped coverage folder. */
export const COVERAGE_DIR = path.resolve(__dirname, '..', '..', '..', 'expectations', 'upstream-coverage');

/** Every coverage file of a folder, sorted by name; a schema error names file:line:column (DataFileError). */
export function loadCoverage(dir: string = COVERAGE_DIR): Array<{ file: string; coverage: CoverageFile }> {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => ({ file: path.join(dir, name), coverage: readYamlWithSchema(path.join(dir, name), coverageFileSchema) }));
}

/**
 * The verdict the shipped known issues give a scenario on a backend: the outcome a known issue lists
 * for it, or pass when none does (every other outcome fails the main job).
 */
export function knownVerdict(scenario: string, invariant: InvariantId, knownIssues: readonly KnownIssue[], backend: 'cpu' = 'cpu'): CoverageVerdict[] {
  const entry = matchKnownIssue({ scenario, invariant, backend }, knownIssues);
  return entry === null ? ['pass'] : [...entry.outcomes];
}

/** Counts of a coverage table: cases, expressed (by verdict) and not expressed. */
export interface CoverageCounts {
  cases: number;
  expressed: number;
  byVerdict: Record<CoverageVerdict, number>;
  notExpressed: number;
}

/** The counts of some coverage files. */
export function coverageCounts(files: readonly CoverageFile[]): CoverageCounts {
  const counts: CoverageCounts = { cases: 0, expressed: 0, byVerdict: { pass: 0, fail: 0, error: 0, unsupported: 0 }, notExpressed: 0 };
  for (const c of files.flatMap((f) => f.cases)) {
    counts.cases++;
    if ('scenario' in c) {
      counts.expressed++;
      counts.byVerdict[c.verdict]++;
    } else counts.notExpressed++;
  }
  return counts;
}

/** The sentence the README states the counts in (checked by a test against the files). */
export function countsSentence(counts: CoverageCounts): string {
  const v = counts.byVerdict;
  return `${counts.cases} upstream cases: ${counts.expressed} expressed as scenarios (on tfjs 4.22 cpu: ${v.pass} pass, ${v.fail} fail, ${v.error} error, ${v.unsupported} unsupported), ${counts.notExpressed} not expressible`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The table as Markdown: one section per source, a row per case. */
export function coverageMarkdown(files: readonly CoverageFile[]): string {
  const lines = [`# Upstream BatchNormalization tests in bn-suite`, '', `${countsSentence(coverageCounts(files))}.`, ''];
  for (const f of files) {
    const c = coverageCounts([f]);
    lines.push(`## ${f.source} (${f.repository}: ${f.files.join(', ')}, ${f.revision})`, '', `${countsSentence(c)}.`, '', '| upstream test | scenario | tfjs 4.22 (cpu) |', '| --- | --- | --- |');
    for (const k of f.cases) {
      const test = cell(k.parameters !== undefined ? `${k.test} (${k.parameters})` : k.test);
      if ('scenario' in k) lines.push(`| ${test} | \`${k.scenario}\`${k.note !== undefined ? ` (${cell(k.note)})` : ''} | ${k.verdict} |`);
      else lines.push(`| ${test} | not expressible: ${cell(k.notExpressed)} | - |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
