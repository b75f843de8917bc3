/**
 * The results.json schema: the master record of a run, which every report, `--baseline`, `merge`
 * and the matrix read. Types and zod schema live together, and {@link parseSuiteResult} validates
 * every read, so no reader casts. Bump {@link RESULTS_FORMAT_VERSION} when the shape changes in a way
 * an older reader would misread.
 *
 * @packageDocumentation
 */
import { OPTIMIZER_KINDS } from '../engine/run/optimizers';
import { z } from 'zod';
import { BACKEND_NAMES, UNAVAILABLE_KINDS } from '../engine/backends';
import { CONTRACT_IDS } from '../engine/contracts/contracts';
import type { Conformance } from '../engine/contracts/conformance';
import type { KnownIssue } from '../engine/expectations/known-issues';
import { OUTCOMES } from '../engine/expectations/classify';
import { expectedFingerprintSchema, fingerprintSchema } from '../engine/expectations/fingerprint';
import { ENTRY_POINTS, FREEZE_TIMINGS, type CaseSpec } from '../engine/run/case-spec';
import { CONTAINER_KINDS } from '../engine/models/spec';
import type { ScenarioResult } from '../engine/run/run-scenario';
import { resultVerdictSchema, firstIssue } from '../engine/run/result-evidence';
import { INVARIANT_IDS } from '../engine/invariants/types';

/** The format version this bn-suite writes and reads. */
export const RESULTS_FORMAT_VERSION = 1;

const backendName = z.enum(BACKEND_NAMES);
const invariantId = z.enum(INVARIANT_IDS);
const outcome = z.enum(OUTCOMES);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');

const bnLayerSpec = z.object({
  axis: z.number().int(),
  momentum: finite,
  epsilon: finite,
  center: z.boolean(),
  scale: z.boolean(),
  movingMeanInit: finite,
  movingVarianceInit: finite,
  gammaInit: finite.optional(),
  betaInit: finite.optional(),
});

const modelSpec = z.object({
  architecture: z.enum(['bn-only', 'dense', 'conv']),
  inputShape: z.array(z.number().int().positive()),
  hiddenUnits: z.number().int().positive(),
  bn: bnLayerSpec,
  classes: z.number().int().nonnegative(),
  headActivation: z.enum(['softmax', 'linear', 'sigmoid', 'relu']).optional(),
  nested: z.boolean(),
  container: z.enum(CONTAINER_KINDS).optional(),
  baseContainer: z.enum(CONTAINER_KINDS).optional(),
  depth: z.union([z.literal(1), z.literal(2)]).optional(),
  shared: z.boolean().optional(),
  seed: z.number().int(),
});

/** A generated case, as results.json records the (shrunk) counterexample. */
export const caseSpecSchema = z.object({
  model: modelSpec,
  data: z.object({ batch: z.number().int().positive(), mean: finite, scale: finite, seed: z.number().int() }),
  freeze: z.enum(['bn', 'base', 'none']),
  freezeTiming: z.enum(FREEZE_TIMINGS).optional(),
  entryPoint: z.enum(ENTRY_POINTS),
  steps: z.number().int().nonnegative(),
  learningRate: finite,
  optimizer: z.enum(OPTIMIZER_KINDS).optional(),
}) satisfies z.ZodType<CaseSpec>;

/** The fields of a result whose shape does not depend on its verdict; status, invariant and evidence are {@link resultVerdictSchema}'s. */
const scenarioResultFields = z.object({
  scenario: z.string().min(1),
  backend: backendName,
  summary: z.string(),
  // Absent in results written before fingerprints existed: read as none.
  fingerprint: fingerprintSchema.nullable().default(null),
  counterexample: caseSpecSchema.nullable(),
  casesRun: z.number().int().nonnegative(),
  unsupportedCases: z.number().int().nonnegative(),
  shrinks: z.number().int().nonnegative(),
  seed: z.number().int(),
  replay: z.string().startsWith('bn-suite:'),
  durationMs: z.number().nonnegative(),
});

/** One verdict on a (scenario, invariant, backend), its evidence typed by status and invariant. */
export const scenarioResultSchema = scenarioResultFields.and(resultVerdictSchema) satisfies z.ZodType<ScenarioResult>;

/** A verdict with how it compares with the known issues. */
export const resultRecordSchema = scenarioResultFields
  .extend({
    /** True when a known issue covers this (scenario, invariant, backend). */
    expected: z.boolean(),
    outcome,
    /** The known issue's URL (or "unreported") when one matched. */
    issue: z.string().nullable(),
    /** The scenario's tags, so reports and merges need not reload the scenario files. */
    tags: z.array(z.string()),
  })
  .and(resultVerdictSchema);

/** One result with how it compares with the expectations. */
export type ResultRecord = z.infer<typeof resultRecordSchema>;

const knownIssue = z.object({
  scenario: z.string(),
  invariant: invariantId,
  backend: z.array(backendName).optional(),
  issue: z.string(),
  reason: z.string(),
  outcomes: z.array(z.enum(['fail', 'error', 'unsupported'])),
  message: z.string().optional(),
  summary: z.string().optional(),
  fingerprint: expectedFingerprintSchema.optional(),
  tfjs: z.string().optional(),
}) satisfies z.ZodType<KnownIssue>;

const backendStatus = z.discriminatedUnion('available', [
  z.object({ name: backendName, available: z.literal(true), packageName: z.string(), version: z.string().optional(), device: z.string().optional() }),
  z.object({
    name: backendName,
    available: z.literal(false),
    packageName: z.string(),
    version: z.string().optional(),
    device: z.string().optional(),
    kind: z.enum(UNAVAILABLE_KINDS),
    reason: z.string(),
  }),
]);

const contractId = z.enum(CONTRACT_IDS);

const conformance = z.object({
  rows: z.array(
    z.object({
      invariant: invariantId,
      observed: z.enum(['holds', 'violated', 'not-observed']),
      scenarios: z.array(z.string()),
      matches: z.record(contractId, z.boolean().nullable()),
    }),
  ),
  scores: z.array(z.object({ contract: contractId, title: z.string(), matched: z.number().int(), observed: z.number().int() })),
  bestMatches: z.array(contractId),
}) satisfies z.ZodType<Conformance>;

const shard = z.object({ index: z.number().int().positive(), count: z.number().int().positive() });

/** Which part of the (scenario, backend) jobs a process runs: shard `index` (1-based) of `count`. */
export type Shard = z.infer<typeof shard>;

const summary = z.object({
  results: z.number().int().nonnegative(),
  casesRun: z.number().int().nonnegative(),
  byStatus: z.object({ pass: z.number().int(), fail: z.number().int(), error: z.number().int(), unsupported: z.number().int() }),
  byOutcome: z.object({ pass: z.number().int(), 'expected-fail': z.number().int(), 'unexpected-fail': z.number().int(), 'unexpected-pass': z.number().int(), 'not-observable': z.number().int().default(0) }),
  stale: z.number().int().nonnegative(),
  /** True when nothing unexpected happened: exit code 0. */
  asExpected: z.boolean(),
});

/** Counts of a run, by verdict status and by outcome. */
export type SuiteSummary = z.infer<typeof summary>;

/** The schema of results.json. */
export const suiteResultSchema = z.object({
  format: z.literal('bn-suite-results'),
  formatVersion: z.literal(RESULTS_FORMAT_VERSION),
  tool: z.object({ name: z.literal('bn-suite'), version: z.string() }),
  tfjs: z.object({
    '@tensorflow/tfjs-core': z.string(),
    '@tensorflow/tfjs-layers': z.string(),
    '@tensorflow/tfjs-backend-cpu': z.string().optional(),
    '@tensorflow/tfjs-backend-wasm': z.string().optional(),
    '@tensorflow/tfjs-backend-webgl': z.string().optional(),
    '@tensorflow/tfjs-backend-webgpu': z.string().optional(),
    '@tensorflow/tfjs-node': z.string().optional(),
  }),
  node: z.string(),
  platform: z.string(),
  seed: z.number().int(),
  runs: z.number().int().positive(),
  shard: shard.nullable(),
  startedAt: z.iso.datetime(),
  durationMs: z.number().nonnegative(),
  backends: z.array(backendStatus),
  results: z.array(resultRecordSchema),
  /** Known-issue entries that matched no result although their scenario ran: the file is out of date. */
  stale: z.array(knownIssue),
  summary,
  /** Which framework's frozen-BN rules the tested tfjs follows, invariant by invariant. */
  conformance,
});

/** The master record of a run (`results.json`); every report derives from it. */
export type SuiteResult = z.infer<typeof suiteResultSchema>;

/** Why a value is not a valid results document: the first problem, with its dotted path. */
export class ResultsFormatError extends Error {
  override name = 'ResultsFormatError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

/**
 * Validates a parsed results.json. A document of another format version is refused with both
 * versions named; otherwise the first problem is reported with its field path.
 *
 * @throws ResultsFormatError
 */
export function parseSuiteResult(data: unknown): SuiteResult {
  const version = (data as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof data === 'object' && data !== null && (data as { format?: unknown }).format === 'bn-suite-results' && version !== RESULTS_FORMAT_VERSION) {
    throw new ResultsFormatError('formatVersion', `this bn-suite reads format version ${RESULTS_FORMAT_VERSION}, the file has ${JSON.stringify(version)}`);
  }
  const parsed = suiteResultSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = firstIssue(parsed.error.issues);
  throw new ResultsFormatError(issue.path.join('.') || '(root)', issue.message);
}
