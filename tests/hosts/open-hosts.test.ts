import type { Host, Job } from '../../src/hosts/host';
import type { ScenarioResult } from '../../src/engine/run/run-scenario';
import { routingHost } from '../../src/hosts/open-hosts';

function fakeHost(name: string, seen: string[]): Host {
  return {
    run: async (jobs, onEvent) =>
      jobs.map((job, index) => {
        seen.push(`${name}:${job.backend}`);
        const result = { scenario: job.scenario.id, backend: job.backend, summary: name } as unknown as ScenarioResult;
        onEvent?.({ phase: 'done', index, job, result });
        return result;
      }),
  };
}

const job = (backend: Job['backend']): Job => ({ scenario: { id: `s-${backend}` } as Job['scenario'], backend, otherBackends: [], seed: 1, runs: 1 });

describe('routingHost', () => {
  test('sends browser jobs to the browser host and the rest to Node, and answers in job order with the right indices', async () => {
    const seen: string[] = [];
    const events: number[] = [];
    const jobs = [job('webgl'), job('cpu'), job('webgpu'), job('wasm')];
    const results = await routingHost(fakeHost('node', seen), fakeHost('browser', seen)).run(jobs, (event) => events.push(event.index));
    expect(results.map((r) => `${r.summary}:${r.backend}`)).toEqual(['browser:webgl', 'node:cpu', 'browser:webgpu', 'node:wasm']);
    expect(seen).toEqual(['node:cpu', 'node:wasm', 'browser:webgl', 'browser:webgpu']);
    expect(events).toEqual([1, 3, 0, 2]);
  });

  test('a browser job without a browser host is refused', async () => {
    await expect(routingHost(fakeHost('node', []), null).run([job('webgl')])).rejects.toThrow('no browser host is open');
  });
});
