import * as path from 'node:path';
import { BACKEND_NAMES, NODE_BACKENDS, type BackendName } from '../../engine/backends';
import { parseFreezePlan } from '../../engine/audit/freeze-plan';
import { UsageError } from '../../engine/errors';
import { auditOnNode } from '../../hosts/node/audit';
import { probeBackends, selectBackends } from '../../hosts/node/backends';
import { DEFAULT_MODEL_FOLDER_LIMITS, readModelFolder } from '../../hosts/node/model-folder';
import { NSFWJS_PREFIX, nsfwjsArtifacts } from '../../hosts/node/nsfwjs-models';
import { tfjsVersions } from '../../hosts/node/tfjs';
import { toResultRecord, assembleSuiteResult } from '../../results/suite';
import { readAuditLabels, readAuditSamples } from '../inputs/audit-data';
import { auditTablesMarkdown } from '../report/audit-table';
import { writeReports } from '../report/write-reports';
import { writeAuditRepro } from '../repro/audit-repro';
import { reproDirFor } from '../repro/write-repro';
import { formatVerification } from '../repro/verify';
import { hasField } from '../../engine/run/result-evidence';
import { EXIT, type ExitCode } from './exit-codes';
import type { CliIo } from './io';
import { parsePositiveInt, parseSeed } from './parse-options';
import { assertWritableFolder, summaryLine } from './run-command';

/** Flags of `bn-suite audit`, as commander hands them over. */
export interface AuditFlags {
  freeze?: string;
  data?: string;
  labels?: string;
  steps?: string;
  batchSize?: string;
  samples?: string;
  seed?: string;
  backend?: string;
  out?: string;
  remedy?: boolean;
  json?: boolean;
  /** Write a standalone repro of the moving-statistics drift into `<out>/repros/`. */
  repro?: boolean;
  maxModelJsonBytes?: string;
  maxShardBytes?: string;
}

/** Tags every audit result carries (they are not among the shipped scenarios). */
const AUDIT_TAGS = ['audit'];

/** `bn-suite audit <model>`: the user's own model. Returns the exit code; all printing goes through `io`. */
export async function auditCommand(model: string, flags: AuditFlags, io: CliIo): Promise<ExitCode> {
  // Everything the user gave is read and checked before any tfjs work and before anything is written.
  const freeze = parseFreezePlan(flags.freeze ?? 'base');
  const steps = parsePositiveInt('--steps', flags.steps, 5, 100_000);
  const batchSize = parsePositiveInt('--batch-size', flags.batchSize, 32, 65_536);
  const samples = parsePositiveInt('--samples', flags.samples, 64, 1_000_000);
  const seed = parseSeed(flags.seed, 1);
  const limits = {
    maxModelJsonBytes: parsePositiveInt('--max-model-json-bytes', flags.maxModelJsonBytes, DEFAULT_MODEL_FOLDER_LIMITS.maxModelJsonBytes),
    maxShardBytes: parsePositiveInt('--max-shard-bytes', flags.maxShardBytes, DEFAULT_MODEL_FOLDER_LIMITS.maxShardBytes),
  };
  // `nsfwjs:mobilenet_v2`: a pre-trained CNN from the nsfwjs package (bn-suite's devDependency), offline.
  const onDisk = model.startsWith(NSFWJS_PREFIX)
    ? { modelJson: model, artifacts: nsfwjsArtifacts(model.slice(NSFWJS_PREFIX.length)) }
    : readModelFolder(model, limits);
  const x = flags.data !== undefined ? readAuditSamples(flags.data) : null;
  const labels = flags.labels !== undefined ? readAuditLabels(flags.labels) : null;
  if (labels !== null && x === null) throw new UsageError('--labels needs --data (synthetic samples have no true labels)');
  const outDir = path.resolve(flags.out ?? path.join('reports', `audit-${new Date().toISOString().replace(/:/g, '-')}`));
  assertWritableFolder(outDir, '--out');

  const statuses = await probeBackends(undefined, BACKEND_NAMES);
  const request = flags.backend ?? NODE_BACKENDS.join(',');
  const available = statuses.filter((s) => s.available).map((s) => s.name);
  const selection = flags.backend === undefined ? { selected: NODE_BACKENDS.filter((b) => available.includes(b)) as BackendName[], unavailable: [] } : selectBackends(request, statuses);
  for (const s of statuses) if (!s.available && (flags.backend === undefined ? (NODE_BACKENDS as readonly string[]).includes(s.name) : false)) io.stderr(`backend ${s.name} unavailable (${s.kind}): ${s.reason}\n`);
  if (selection.selected.length === 0) {
    io.stderr('no backend available to audit on\n');
    return EXIT.harness;
  }
  const label = model.startsWith(NSFWJS_PREFIX) ? model : path.relative(process.cwd(), onDisk.modelJson) || onDisk.modelJson;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const results = await auditOnNode({
    artifacts: onDisk.artifacts,
    label,
    backends: selection.selected,
    audit: { freeze, x, labels, steps, batchSize, samples, seed, remedy: flags.remedy === true },
    onBackend: (backend) => io.stderr(`auditing ${label} on ${backend}\n`),
  });
  const records = results.map((r) => toResultRecord(r, AUDIT_TAGS, []));
  const suite = assembleSuiteResult(records, {
    jobs: [],
    knownIssues: [],
    backendStatuses: statuses,
    tfjs: tfjsVersions(),
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    seed,
    runs: 1,
    startedAt,
    durationMs: performance.now() - started,
  });
  await writeReports(outDir, suite);
  if (flags.repro) {
    for (const r of suite.results.filter((x) => x.invariant === 'frozen-moving-stats' && x.status === 'fail')) {
      const label = `audit ${r.backend}`;
      if (model.startsWith(NSFWJS_PREFIX)) {
        io.stderr(`repro ${label}: not written: --repro needs a model folder on disk (nsfwjs models live inside the package)\n`);
        continue;
      }
      const context = hasField(r.evidence, 'audit') ? r.evidence.audit : null;
      if (context === null) continue;
      const repro = await writeAuditRepro(reproDirFor(path.join(outDir, 'repros'), r.scenario, r.backend), onDisk.modelJson, context, r.backend, suite.tfjs);
      io.stderr(`repro ${label}: ${path.relative(process.cwd(), repro.dir) || '.'} (${formatVerification(repro.verification)})\n`);
    }
  }
  if (flags.json) io.stdout(`${JSON.stringify(suite, null, 2)}\n`);
  else {
    io.stdout(`${summaryLine(suite)}\n\n${auditTablesMarkdown(suite)}\n\n`);
    for (const r of suite.results.filter((x) => x.status !== 'pass')) io.stdout(`${r.status}: ${r.invariant} @ ${r.backend}: ${r.summary}\n`);
    io.stdout(`\nreports: ${path.relative(process.cwd(), outDir) || '.'}\n`);
  }
  return suite.summary.byOutcome['unexpected-fail'] > 0 ? EXIT.unexpected : EXIT.ok;
}
