/**
 * The child-process host's entry point: binds the tfjs installed in the folder given as its first
 * argument, then answers {@link ToChild} messages on the IPC channel. A process entry, like the
 * CLI: the library modules it runs never read argv or exit.
 *
 * @packageDocumentation
 */
import type { BackendName, BackendStatus } from '../../engine/backends';
import { UsageError } from '../../engine/errors';
import { probeBackend } from '../node/backends';
import { inProcessHost } from '../node/in-process-host';
import { bindNodeTfjs, tfjsFingerprint, tfjsVersions, useTfjsFrom } from '../node/tfjs';
import type { ChildFailure, FromChild, ToChild } from './protocol';

function send(message: FromChild): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      reject(new Error('the bn-suite worker must be started with an IPC channel (child_process.fork)'));
      return;
    }
    process.send(message, (error: Error | null) => (error ? reject(error) : resolve()));
  });
}

function failureOf(error: unknown): ChildFailure {
  const kind = error instanceof UsageError ? 'usage' : 'harness';
  if (error instanceof Error) return { kind, message: error.message, ...(error.stack !== undefined ? { stack: error.stack } : {}) };
  return { kind, message: String(error) };
}

async function probe(backends: readonly BackendName[]): Promise<FromChild> {
  bindNodeTfjs();
  const statuses: BackendStatus[] = [];
  // Only the backends asked for are loaded: a broken one that nobody wants must not matter.
  for (const name of backends) statuses.push(await probeBackend(name));
  return { type: 'probed', statuses, tfjs: tfjsVersions(), fingerprint: tfjsFingerprint() };
}

async function handle(message: ToChild): Promise<void> {
  if (message.type === 'probe') {
    await send(await probe(message.backends));
    return;
  }
  const host = inProcessHost({
    ...(message.cacheDir !== undefined ? { cacheDir: message.cacheDir } : {}),
    onWarning: (warning) => void send({ type: 'warning', message: warning }),
  });
  await host.run(message.jobs, (event) => {
    if (event.phase === 'start') void send({ type: 'started', index: event.index });
    else if (event.result !== undefined) void send({ type: 'result', index: event.index, result: event.result });
  });
  await send({ type: 'ran' });
}

const folder = process.argv[2];
if (folder !== undefined && folder !== '') useTfjsFrom(folder);
// One message at a time, in order: tfjs keeps one global engine per process.
let queue = Promise.resolve();
process.on('message', (message: ToChild) => {
  queue = queue.then(() => handle(message)).catch((error: unknown) => send({ type: 'failed', failure: failureOf(error) }).catch(() => undefined));
});
process.on('disconnect', () => process.exit(0));
