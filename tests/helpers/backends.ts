import { nodeInvariantContext } from '../../src/hosts/node/services';
import { activateBackend, probeBackend, probeBackendModule, selectBackends } from '../../src/hosts/node/backends';
import { NODE_BACKENDS, type BackendName } from '../../src/engine/backends';
import type { InvariantContext } from '../../src/engine/invariants/types';
import { silenceTfjsBanner } from '../../src/engine/tfjs';

/**
 * Declares one `describe` per backend, with the backend in the title. Backends that cannot load,
 * or that BN_BACKENDS leaves out, still appear as a skipped test whose title gives the reason, so a
 * missing backend is visible in every test report and never silently absent.
 *
 * `describe` bodies run synchronously, so availability here is the synchronous module probe; a
 * backend whose module loads but whose initialization fails makes `beforeAll` throw, which fails
 * the block loudly rather than skipping it.
 */
export function describeEachBackend(title: string, body: (backend: BackendName) => void): void {
  silenceTfjsBanner();
  // In-process bodies: the Node backends. The browser backends run the shipped scenarios in a page
  // (describeShippedScenarios), not arbitrary test bodies.
  const statuses = NODE_BACKENDS.map((name) => probeBackendModule(name));
  const { selected } = selectBackends(process.env.BN_BACKENDS, statuses);
  if (selected.length === 0) throw new Error('Found no available backend to test (BN_BACKENDS and the probe left none)');
  for (const status of statuses) {
    const name = status.name;
    describe(`${title} [${name}]`, () => {
      if (!status.available) {
        test.skip(`${name} unavailable (${status.kind}): ${status.reason}`, () => undefined);
        return;
      }
      if (!selected.includes(name)) {
        test.skip(`${name} not selected by BN_BACKENDS=${process.env.BN_BACKENDS}`, () => undefined);
        return;
      }
      beforeAll(async () => {
        const initialized = await probeBackend(name);
        if (!initialized.available) throw new Error(`${name} loaded but cannot be used: ${initialized.reason}`);
        await activateBackend(name);
      });
      body(name);
    });
  }
}

/** The context an invariant check gets on `backend`, switching backends through activateBackend. */
export function invariantContext(backend: BackendName, otherBackends: readonly BackendName[] = []): InvariantContext {
  return nodeInvariantContext(backend, otherBackends);
}
