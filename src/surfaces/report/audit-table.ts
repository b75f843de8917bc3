/**
 * The audit's per-BN-layer table (markdown): every BN layer of the user's model with its
 * configuration and what each check measured on it, per backend, plus the model-level mode gap,
 * and the remedy when a frozen BN layer drifted.
 *
 * @packageDocumentation
 */
import type { AuditCheckId, AuditEvidence } from '../../engine/audit/evidence';
import { hasField } from '../../engine/run/result-evidence';
import type { ResultRecord, SuiteResult } from '../../results/schema';

/** The remedy, as reports suggest it: what to call, and its limits. */
export const REMEDY_TEXT = [
  'Remedy: freeze the base with `freezeForFineTuning(base)` from bn-suite (or wrap it so it is always called with `training: false`).',
  'It gives frozen BN layers the Keras 3 rule: they run in inference mode during fit, so their moving statistics stay put and training- and inference-mode outputs agree.',
  'Check it with `bn-suite audit <model> --remedy`. Limits: the rule lives on the loaded layer objects, not in model.json, so apply it again after loading; BN layers added later are not covered.',
].join(' ');

type AuditRecord = ResultRecord & { evidence: AuditEvidence };

/** The results of audits, by `scenario @ backend`. */
function auditGroups(suite: SuiteResult): Map<string, Partial<Record<AuditCheckId, AuditEvidence>>> {
  const groups = new Map<string, Partial<Record<AuditCheckId, AuditEvidence>>>();
  for (const r of suite.results) {
    if (!hasField(r.evidence, 'check')) continue;
    const record = r as AuditRecord;
    const key = `${record.scenario} @ ${record.backend}`;
    const group = groups.get(key) ?? {};
    (group as Record<string, AuditEvidence>)[record.evidence.check] = record.evidence;
    groups.set(key, group);
  }
  return groups;
}

const num = (value: number | null | undefined): string => (value === null || value === undefined ? '-' : value === 0 ? '0' : value.toPrecision(3));
const mark = (holds: boolean | null | undefined): string => (holds === false ? ' ✗' : '');

/** True when an audit in `suite` found a frozen BN layer that drifted or normalizes by batch in fit. */
export function auditSuggestsRemedy(suite: SuiteResult): boolean {
  return [...auditGroups(suite).values()].some(
    (g) => !(g['moving-stats']?.audit.remedy ?? true) && [g['moving-stats'], g['mode-gap']].some((e) => e?.layers.some((row) => row.holds === false)),
  );
}

/** The markdown tables of every audit in `suite`; empty when it holds none. */
export function auditTablesMarkdown(suite: SuiteResult): string {
  const sections: string[] = [];
  for (const [key, group] of auditGroups(suite)) {
    const context = Object.values(group)[0]!.audit;
    const byPath = <C extends AuditCheckId>(check: C) => new Map((group[check]?.layers ?? []).map((row) => [row.path, row as AuditEvidence<C>['layers'][number]]));
    const moving = byPath('moving-stats');
    const affine = byPath('gamma-beta');
    const gap = byPath('mode-gap');
    const purity = byPath('purity');
    const reload = byPath('reload');
    const oracle = byPath('oracle');
    const lines = [
      `### ${key}`,
      '',
      `${context.source}: ${context.bnLayers.length} BN layers; freeze ${context.freeze}${context.remedy ? ' with the remedy (freezeForFineTuning)' : ' (the tfjs way)'}; ${context.steps} fine-tuning steps of ${context.batchSize} on ${context.samples} ${context.data} samples${context.labels ? ' with labels' : ''}; seed ${context.seed}.`,
      '',
      '| BN layer | axis | momentum | epsilon | center/scale | frozen | moving-mean drift | moving-variance drift | gamma/beta change | train-vs-infer gap | predict/evaluate change | frozen after reload | oracle max diff |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...context.bnLayers.map((layer) => {
        const m = moving.get(layer.path);
        const a = affine.get(layer.path);
        const g = gap.get(layer.path);
        const p = purity.get(layer.path);
        const r = reload.get(layer.path);
        const o = oracle.get(layer.path);
        return `| ${layer.path} | ${layer.axis} | ${layer.momentum} | ${layer.epsilon} | ${layer.center ? 'c' : '-'}${layer.scale ? 's' : '-'} | ${layer.frozen ? 'yes' : 'no'} | ${num(m?.meanDrift)}${mark(m?.holds)} | ${num(m?.varianceDrift)} | ${num(Math.max(a?.gammaChange ?? 0, a?.betaChange ?? 0))}${mark(a?.holds)} | ${num(g?.gap)}${mark(g?.holds)} | ${num(p?.change)}${mark(p?.holds)} | ${r?.frozenAfterReload === null || r === undefined ? '-' : r.frozenAfterReload ? 'yes' : 'no'}${mark(r?.holds)} | ${num(o?.maxAbsDiff)}${mark(o?.holds)} |`;
      }),
    ];
    const model = group['mode-gap'] && 'model' in group['mode-gap'] ? group['mode-gap'].model : null;
    if (model !== null) {
      lines.push('', `Whole model after fine-tuning: max |training-mode - inference-mode output| ${num(model.outputGap)}` + (model.trainingModeAccuracy === null ? ' (no labels: accuracy not measured).' : `; accuracy ${(100 * model.trainingModeAccuracy).toFixed(1)}% in training mode, ${(100 * (model.inferenceModeAccuracy ?? 0)).toFixed(1)}% in inference mode (gap ${num(model.gapPoints)} points).`));
    }
    sections.push(lines.join('\n'));
  }
  if (sections.length === 0) return '';
  if (auditSuggestsRemedy(suite)) sections.push(REMEDY_TEXT);
  return sections.join('\n\n');
}
