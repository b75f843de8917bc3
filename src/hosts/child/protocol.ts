/**
 * Messages between a run and its child process (one tfjs version per process). Plain JSON over
 * Node's IPC channel: jobs go in, the same result records as in-process come back.
 *
 * @packageDocumentation
 */
import type { BackendName, BackendStatus } from '../../engine/backends';
import type { Job } from '../../engine/run/job';
import type { ScenarioResult } from '../../engine/run/run-scenario';
import type { TfjsVersions } from '../../engine/tfjs';

/** What the parent asks. */
export type ToChild =
  | { type: 'probe'; backends: BackendName[] }
  | { type: 'run'; jobs: Job[]; cacheDir?: string };

/** Why the child could not do what it was asked: the error's class decides the exit code. */
export interface ChildFailure {
  /** `usage` (exit 2), `harness` (exit 3: bn-suite's own code or environment). */
  kind: 'usage' | 'harness';
  message: string;
  stack?: string;
}

/** What the child answers. */
export type FromChild =
  | { type: 'probed'; statuses: BackendStatus[]; tfjs: TfjsVersions; fingerprint: string }
  | { type: 'started'; index: number }
  | { type: 'result'; index: number; result: ScenarioResult }
  | { type: 'ran' }
  | { type: 'warning'; message: string }
  | { type: 'failed'; failure: ChildFailure };
