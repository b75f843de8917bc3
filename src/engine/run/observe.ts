import { captureSnapshot, diffSnapshots, snapshotBytes, weightKind, type Snapshot, type SnapshotDiff, type WeightKind } from '../snapshot/snapshot';
import type { CaseSpec } from './case-spec';
import { disposeCase, prepareCase, trainCase, type CaseRun } from './case-run';

/** Weights before and after a case's training entry point ran. */
export interface TrainingObservation {
  before: Snapshot;
  after: Snapshot;
}

/** Prepares a case, lets `body` use it, and always disposes it. */
export async function withCase<T>(spec: CaseSpec, body: (run: CaseRun) => Promise<T> | T): Promise<T> {
  const run = await prepareCase(spec);
  try {
    return await body(run);
  } finally {
    disposeCase(run);
  }
}

/** Runs the case's training entry point and captures every weight before and after. */
export function observeTraining(spec: CaseSpec): Promise<TrainingObservation> {
  return withCase(spec, async (run) => {
    const before = await captureSnapshot(run.built.model);
    await trainCase(run);
    return { before, after: await captureSnapshot(run.built.model) };
  });
}

/** Diff restricted to the given weight kinds. */
export function diffKinds(observation: TrainingObservation, kinds: readonly WeightKind[]): SnapshotDiff {
  return diffSnapshots(observation.before, observation.after, (name) => kinds.includes(weightKind(name)));
}

/** Canonical bytes of the weights after training: what determinism compares. */
export async function trainedWeightBytes(spec: CaseSpec): Promise<Uint8Array> {
  return snapshotBytes((await observeTraining(spec)).after);
}
