/**
 * The child-process host: the engine runs in a Node child process bound to the tfjs installed in
 * one folder (one tfjs version per process: two tfjs-core copies in one process would share one
 * global engine). Jobs and results cross the IPC channel as the same plain JSON as in-process.
 *
 * @packageDocumentation
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackendName, BackendStatus } from '../../engine/backends';
import { HarnessError, UsageError } from '../../engine/errors';
import type { ScenarioResult } from '../../engine/run/run-scenario';
import type { TfjsVersions } from '../../engine/tfjs';
import type { Host } from '../host';
import type { ChildFailure, FromChild, ToChild } from './protocol';

/** What a child process reports about its tfjs before running anything. */
export interface ChildProbe {
  statuses: BackendStatus[];
  tfjs: TfjsVersions;
  fingerprint: string;
}

/** A host in a child process; close it when done (it is also closed when this process exits). */
export interface ChildProcessHost extends Host {
  /** Loads and initialises the named backends (only those) in the child; never throws for a backend. */
  probe(backends: readonly BackendName[]): Promise<ChildProbe>;
  /** Ends the child process. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link childProcessHost}. */
export interface ChildProcessHostOptions {
  /** Folder whose node_modules holds the tfjs to bind (see `useTfjsFrom`). */
  tfjsFolder: string;
  /** Folder of the pre-trained-base cache. */
  cacheDir?: string;
  onWarning?: (message: string) => void;
}

/** The compiled worker: next to this file in dist, or in dist when this file runs from src (tests). */
function workerPath(): string {
  const beside = path.join(__dirname, 'worker.js');
  if (fs.existsSync(beside)) return beside;
  const built = path.resolve(__dirname, '..', '..', '..', 'dist', 'hosts', 'child', 'worker.js');
  if (fs.existsSync(built)) return built;
  throw new HarnessError(`the child-process worker is not built (looked for ${beside} and ${built}); run npm run build`);
}

function errorOf(failure: ChildFailure): Error {
  if (failure.kind === 'usage') return new UsageError(failure.message);
  const error = new HarnessError(failure.message);
  if (failure.stack !== undefined) error.stack = failure.stack;
  return error;
}

/** Lines the child printed to stderr, kept (the last ones) to say why it died. */
const STDERR_LINES_KEPT = 20;

/**
 * Starts a child process bound to the tfjs in `options.tfjsFolder`. Runs one request at a time.
 * A child that dies mid-request rejects that request with a {@link HarnessError} naming its exit
 * code or signal and the end of its stderr.
 */
export function childProcessHost(options: ChildProcessHostOptions): ChildProcessHost {
  const child: ChildProcess = fork(workerPath(), [options.tfjsFolder], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
  const stderr: string[] = [];
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr.push(...chunk.split('\n').filter((line) => line.trim() !== ''));
    stderr.splice(0, Math.max(0, stderr.length - STDERR_LINES_KEPT));
  });
  let exited: string | null = null;
  let onMessage: ((message: FromChild) => void) | null = null;
  let onExit: ((why: string) => void) | null = null;
  child.on('message', (message: FromChild) => {
    if (message.type === 'warning') options.onWarning?.(message.message);
    else onMessage?.(message);
  });
  child.on('exit', (code, signal) => {
    exited = signal !== null ? `signal ${signal}` : `exit code ${code}`;
    onExit?.(exited);
  });
  const closeOnExit = () => child.kill();
  process.once('exit', closeOnExit);

  /** Sends one request and collects messages until `isLast` says the answer is complete. */
  function request<T>(message: ToChild, handle: (reply: FromChild) => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (action: () => void) => {
        onMessage = null;
        onExit = null;
        action();
      };
      if (exited !== null) {
        reject(new HarnessError(`the tfjs child process (${options.tfjsFolder}) is gone (${exited})`));
        return;
      }
      onExit = (why) =>
        finish(() => reject(new HarnessError(`the tfjs child process (${options.tfjsFolder}) died (${why})${stderr.length > 0 ? `; its last stderr lines:\n${stderr.join('\n')}` : ''}`)));
      onMessage = (reply) => {
        if (reply.type === 'failed') {
          finish(() => reject(errorOf(reply.failure)));
          return;
        }
        try {
          const done = handle(reply);
          if (done !== undefined) finish(() => resolve(done));
        } catch (error) {
          finish(() => reject(error));
        }
      };
      child.send(message, (error) => {
        if (error) finish(() => reject(new HarnessError(`cannot talk to the tfjs child process: ${error.message}`)));
      });
    });
  }

  return {
    probe(backends) {
      return request({ type: 'probe', backends: [...backends] }, (reply) =>
        reply.type === 'probed' ? { statuses: reply.statuses, tfjs: reply.tfjs, fingerprint: reply.fingerprint } : undefined,
      );
    },
    run(jobs, onEvent) {
      const results: ScenarioResult[] = new Array(jobs.length);
      return request({ type: 'run', jobs: [...jobs], ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}) }, (reply) => {
        if (reply.type === 'started') onEvent?.({ phase: 'start', index: reply.index, job: jobs[reply.index] });
        else if (reply.type === 'result') {
          results[reply.index] = reply.result;
          onEvent?.({ phase: 'done', index: reply.index, job: jobs[reply.index], result: reply.result });
        } else if (reply.type === 'ran') return results;
        return undefined;
      });
    },
    async close() {
      process.removeListener('exit', closeOnExit);
      if (exited !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.disconnect();
        // A worker stuck in a kernel does not read its channel: do not wait for it forever.
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      });
    },
  };
}
