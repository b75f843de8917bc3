/**
 * Runs `bn-suite audit` in this Node process: the user's model, loaded afresh on each backend,
 * audited on the project's tfjs.
 *
 * @packageDocumentation
 */
import type { ModelArtifacts } from '@tensorflow/tfjs-core/dist/io/types';
import type { BackendName } from '../../engine/backends';
import { auditModel, type AuditOptions } from '../../engine/audit/audit-model';
import { loadModelFromArtifacts } from '../../engine/audit/load-model';
import { auditErrorResults, auditResults } from '../../engine/audit/to-results';
import type { ScenarioResult } from '../../engine/run/run-scenario';
import { activateBackend } from './backends';
import { tf } from './tfjs';

/** What to audit, where. */
export interface NodeAuditOptions {
  artifacts: ModelArtifacts;
  /** The model.json path, for errors and reports. */
  label: string;
  backends: readonly BackendName[];
  audit: AuditOptions;
  /** Called before each backend starts. */
  onBackend?: (backend: BackendName) => void;
}

/**
 * Audits the model on each backend in turn; returns every result. A model tfjs cannot build is a
 * UsageError; a throw from tfjs during the audit is an error (or unsupported) verdict per check.
 */
export async function auditOnNode(options: NodeAuditOptions): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const backend of options.backends) {
    options.onBackend?.(backend);
    await activateBackend(backend);
    const model = await loadModelFromArtifacts(options.artifacts, options.label);
    const started = performance.now();
    const tfjs = tf.version_core;
    try {
      const report = await auditModel(model, { ...options.audit, source: options.label });
      results.push(...auditResults(report, { backend, tfjs, durationMs: performance.now() - started }));
    } catch (error) {
      results.push(...auditErrorResults(model.name, error, { backend, tfjs, seed: options.audit.seed ?? 1, durationMs: performance.now() - started }));
    } finally {
      model.dispose();
    }
  }
  return results;
}
