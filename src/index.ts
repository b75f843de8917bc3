/**
 * bn-suite as a library: run its scenarios programmatically on a given tfjs, use its invariants,
 * float64 oracle and weight snapshots in your own code, and read and classify results.json.
 *
 * Nothing here prints, exits or reads argv. The engine receives tfjs by injection: by default the
 * Node host binds the `@tensorflow/tfjs-core` and `-layers` that your project installs (peer
 * dependencies); {@link bindTfjs} binds another instance.
 *
 * @packageDocumentation
 */

import { bindNodeTfjs } from './hosts/node/tfjs';

// In Node the library runs on the project's tfjs (peer dependencies) unless bindTfjs says otherwise.
bindNodeTfjs();

// Running scenarios.
/** Runs scenarios on the host project's tfjs and returns the results document. */
export { runScenarios, type RunScenariosOptions } from './surfaces/library/run-scenarios';
/** Runs loaded scenarios on probed backends with known issues: the engine behind `bn-suite run`. */
export { runSuite, type SuiteOptions, type ProgressEvent } from './hosts/node/run-suite';
/** Reads and validates a scenario folder; selects scenarios by id, glob or tag. */
export { loadScenarios, selectScenarios } from './surfaces/inputs/load-scenarios';
/** The scenario types (parsed YAML). */
export type { Scenario, LoadedScenario } from './engine/scenarios/types';
/** Hosts: where an engine runs. A host takes jobs (plain JSON) and returns one result per job. */
export type { Host, Job, JobEvent } from './hosts/host';
/** The in-process Node host. */
export { inProcessHost } from './hosts/node/in-process-host';
/** Runs one job with a given context: what every host calls. */
export { runJob } from './engine/run/job';
/** Binds the tfjs the engine runs on. */
export { bindTfjs, type TfjsBinding, type TfjsVersions } from './engine/tfjs';
/** The services a host gives the engine (backend switching, model store, base cache). */
export type { HostServices, ModelStore, ModelCache } from './engine/host-services';
/** The Node host's services and check context. */
export { nodeHostServices, nodeInvariantContext } from './hosts/node/services';

// Your own model.
/** Audits a model: freezes it, fine-tunes a few steps and reports per BN layer what moved, the mode gap, purity, reload and oracle agreement. */
export { auditModel, type AuditOptions, type AuditReport, type AuditCheckOutcome } from './engine/audit/audit-model';
/** The audit checks, their evidence schemas and the invariant each is filed under. */
export { AUDIT_CHECK_IDS, AUDIT_EVIDENCE, auditEvidence, type AuditCheckId, type AuditEvidence, type AuditContext } from './engine/audit/evidence';
export { AUDIT_CHECKS, auditResults } from './engine/audit/to-results';
/** How an audit freezes the model. */
export { parseFreezePlan, FREEZE_PLANS, type FreezePlan } from './engine/audit/freeze-plan';
/** The BN layers of a model (nested models included), their configuration and whether each is frozen. */
export { findBatchNormLayers, batchNormConfig, isFrozen, type BatchNormSite, type BatchNormConfig } from './engine/audit/bn-layers';
/** The remedy: frozen BN runs in inference mode (the Keras 3 rule). */
export { freezeForFineTuning, keepFrozenBatchNormInInferenceMode, type BatchNormRemedy } from './engine/audit/remedy';
/** Reads a saved model folder safely (paths kept inside it, size limits, shard sizes checked) and builds it. */
export { readModelFolder, DEFAULT_MODEL_FOLDER_LIMITS, type ModelFolderLimits, type ModelOnDisk } from './hosts/node/model-folder';
export { loadModelFromArtifacts } from './engine/audit/load-model';

// Backends.
/** The backends bn-suite knows, and their availability with the reason when one cannot load. */
export { BACKEND_NAMES, type BackendName, type BackendStatus } from './engine/backends';
/** Loads and initialises backends; never throws: a backend that cannot load is a status with its reason. */
export { probeBackend, probeBackends, selectBackends, activateBackend } from './hosts/node/backends';

// Invariants.
/** Every invariant bn-suite checks, keyed by id. */
export { INVARIANTS } from './engine/invariants';
/** Invariant ids and types; `defineInvariant` declares your own. */
export { INVARIANT_IDS, defineInvariant, type Invariant, type InvariantId, type InvariantContext, type CheckOutcome, type Evidence } from './engine/invariants/types';
/** Checks one invariant on one case under the case's seed; never throws. */
export { checkCase } from './engine/run/check-case';
/** A generated case, as counterexamples record it. */
export type { CaseSpec, EntryPoint } from './engine/run/case-spec';
/** Verdicts. */
export { VERDICT_STATUSES, type VerdictStatus, type CaseVerdict } from './engine/run/verdict';
/** Replay tokens: `bn-suite:<scenario>@<backend>?seed=..&path=..&tfjs=..`. */
export { formatReplayToken, parseReplayToken, type ReplayToken } from './engine/run/replay-token';

// Oracle.
/** Float64 reference batch normalization: batch moments, training and inference outputs, moving-average updates. */
export { batchMoments, bnTrainingOutput, bnInferenceOutput, movingAverageUpdate, movingStatsAfterTrainingCalls, type BnOracleParams } from './engine/oracle/batch-norm';
/** Array comparison with tolerances that name the first differing index. */
export { compareArrays, float32Tolerance, formatComparison, type Comparison, type Tolerance } from './engine/oracle/compare';
/** Dense row-major arrays the oracle works on. */
export type { DenseArray } from './engine/oracle/dense-array';

// Snapshots.
/** Copies every weight of a model (or layer) and diffs two copies. */
export { captureSnapshot, captureLayerSnapshot, diffSnapshots, weightKind, type Snapshot, type SnapshotDiff, type WeightDiff, type WeightKind } from './engine/snapshot/snapshot';

// Results.
/** The results.json schema, its format version and its validating parser. */
export { suiteResultSchema, resultRecordSchema, parseSuiteResult, ResultsFormatError, RESULTS_FORMAT_VERSION, type SuiteResult, type ResultRecord, type SuiteSummary, type Shard } from './results/schema';
/** Reads and validates a results.json file. */
export { readResultsFile } from './results/read';
/** A result's evidence, typed by status and (for a failure) by invariant, with its schema and readers that narrow it. */
export { resultVerdictSchema, hasField, thrownMessage, type ResultVerdict, type FailEvidence, type WithField } from './engine/run/result-evidence';
export { transferEvidenceOf, largestDifference } from './results/evidence';
export type { StepsEvidence } from './engine/kinds/steps/evidence';
export type { TransferEvidence } from './engine/kinds/transfer/evidence';
/** Combines the results of `--shard` runs. */
export { mergeResults } from './results/merge';

// Classification.
/** Known issues: the schema, and a reader for a known-issues YAML file. */
export { knownIssuesFileSchema, type KnownIssue } from './engine/expectations/known-issues';
export { loadKnownIssues, parseKnownIssues } from './surfaces/inputs/known-issues-file';
/** How a result compares with the known issues. */
export { classifyResult, matchKnownIssue, isAsExpected, type Outcome, type ClassifiedResult } from './engine/expectations/classify';
/** Which framework's frozen-BN rules a run matches. */
export { computeConformance, type Conformance } from './engine/contracts/conformance';
export { CONTRACTS, CONTRACT_IDS, type ContractId } from './engine/contracts/contracts';

// Errors.
/** Bad input (exit 2 in the CLI). */
export { UsageError } from './engine/errors';
