/**
 * Load-time checks of what a steps program refers to: every name a step reads was made by an
 * earlier step (of the right sort), every weight it names exists in the model, and every step that
 * needs targets has them. Without these, a typo ran the model first and then failed inside the run,
 * which is bn-suite's input problem and must never look like tfjs behaviour.
 *
 * @packageDocumentation
 */
import { weightNamesOf } from '../../models/spec';
import type { Step, StepsData, StepsModel } from './schema';

/** One problem, at a path inside the scenario (for file:line:column). */
export interface ReferenceIssue {
  path: (string | number)[];
  message: string;
}

type Sort = 'output' | 'loss' | 'snapshot';

/** What a step defines (`as`) and what it reads, by sort and parameter. */
function definitions(step: Step): { sort: Sort; name: string }[] {
  if (step.callBn !== undefined) return [...(step.callBn.as !== undefined ? [{ sort: 'output' as const, name: step.callBn.as }] : []), { sort: 'output', name: 'bn_input' }];
  if (step.callModel?.as !== undefined) return [{ sort: 'output', name: step.callModel.as }];
  if (step.predict !== undefined) return [{ sort: 'output', name: step.predict.as }];
  if (step.trainOnBatch?.as !== undefined) return [{ sort: 'loss', name: step.trainOnBatch.as }];
  if (step.evaluate !== undefined) return [{ sort: 'loss', name: step.evaluate.as }];
  if (step.snapshot !== undefined) return [{ sort: 'snapshot', name: step.snapshot.as }];
  return [];
}

function reads(step: Step): { sort: Sort; key: string; name: string }[] {
  if (step.expectUnchanged !== undefined) return [{ sort: 'snapshot', key: 'since', name: step.expectUnchanged.since }];
  if (step.expectChanged !== undefined) return [{ sort: 'snapshot', key: 'since', name: step.expectChanged.since }];
  if (step.expectClose !== undefined) {
    const { a, b } = step.expectClose;
    return [{ sort: 'output', key: 'a', name: a }, ...(b === 'input' ? [] : [{ sort: 'output' as const, key: 'b', name: b }])];
  }
  if (step.expectDiffer !== undefined) return [{ sort: 'output', key: 'a', name: step.expectDiffer.a }, { sort: 'output', key: 'b', name: step.expectDiffer.b }];
  if (step.expectNormalized !== undefined) return [{ sort: 'output', key: 'output', name: step.expectNormalized.output }];
  if (step.expectLossEqual !== undefined) return [{ sort: 'loss', key: 'a', name: step.expectLossEqual.a }, { sort: 'loss', key: 'b', name: step.expectLossEqual.b }];
  return [];
}

const NEEDS_TARGETS = ['fit', 'trainOnBatch', 'evaluate'] as const;

/**
 * Checks a parsed steps program against its model and data.
 *
 * @returns the problems found, each at the path of the offending parameter; empty when none.
 */
export function checkStepReferences(model: StepsModel, data: StepsData, steps: readonly Step[]): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const defined: Record<Sort, Set<string>> = { output: new Set(), loss: new Set(), snapshot: new Set() };
  const weights = weightNamesOf({ architecture: model.architecture, classes: model.head?.units ?? 0, bn: model.bn });
  steps.forEach((step, index) => {
    const [kind] = Object.keys(step) as (keyof Step)[];
    for (const read of reads(step)) {
      if (defined[read.sort].has(read.name)) continue;
      const sameNameOtherSort = (Object.keys(defined) as Sort[]).find((sort) => sort !== read.sort && defined[sort].has(read.name));
      const known = [...defined[read.sort]];
      issues.push({
        path: ['steps', index, kind, read.key],
        message:
          `no ${read.sort} named '${read.name}' is made by an earlier step` +
          (sameNameOtherSort !== undefined ? ` ('${read.name}' is a ${sameNameOtherSort})` : '') +
          `; defined so far: ${known.length > 0 ? known.join(', ') : 'none'}` +
          (read.sort === 'output' && kind === 'expectClose' && read.key === 'b' ? ' (or input)' : ''),
      });
    }
    if (step.expectWeight !== undefined && !weights.includes(step.expectWeight.weight)) {
      issues.push({ path: ['steps', index, 'expectWeight', 'weight'], message: `the model has no weight '${step.expectWeight.weight}'; allowed: ${weights.join(', ')}` });
    }
    if (step.expectWeight !== undefined && step.expectWeight.values === undefined && step.expectWeight.fill === undefined) {
      issues.push({ path: ['steps', index, 'expectWeight'], message: 'expectWeight needs values or fill' });
    }
    for (const needing of NEEDS_TARGETS) {
      if (step[needing] !== undefined && data.y === undefined) issues.push({ path: ['steps', index, needing], message: `${needing} needs targets; add data.y (fill, gaussian or labels)` });
    }
    for (const definition of definitions(step)) defined[definition.sort].add(definition.name);
  });
  return issues;
}
