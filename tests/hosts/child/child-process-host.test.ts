import * as path from 'node:path';
import { HarnessError } from '../../../src/engine/errors';
import { childProcessHost } from '../../../src/hosts/child/child-process-host';
import { probeBackend } from '../../../src/hosts/node/backends';
import { inProcessHost } from '../../../src/hosts/node/in-process-host';
import { planJobs } from '../../../src/results/suite';
import { loadScenarios, selectScenarios } from '../../../src/surfaces/inputs/load-scenarios';
import { SHIPPED_SCENARIOS } from '../../../src/surfaces/paths';

// The child runs the built worker (dist/), as a matrix run does; `npm test` builds first.
describe('childProcessHost', () => {
  const scenarios = selectScenarios(loadScenarios(SHIPPED_SCENARIOS), 'oracle/affine,frozen-moving-stats/fit');
  const jobs = planJobs({ scenarios, backends: ['cpu'], seed: 3, runs: 3 });

  test('probes only the backends asked for, and returns the same results as the in-process host', async () => {
    const host = childProcessHost({ tfjsFolder: '' });
    try {
      const probe = await host.probe(['cpu']);
      expect(probe.statuses.map((s) => [s.name, s.available])).toEqual([['cpu', true]]);
      expect(probe.tfjs['@tensorflow/tfjs-core']).toBe(require('@tensorflow/tfjs-core/package.json').version);
      expect(probe.fingerprint).toMatch(/^[0-9a-f]{16}$/);
      const events: string[] = [];
      const fromChild = await host.run(jobs, (e) => events.push(`${e.phase}:${e.index}`));
      expect(events).toEqual(['start:0', 'done:0', 'start:1', 'done:1']);
      await probeBackend('cpu');
      const inProcess = await inProcessHost().run(jobs);
      const verdict = (r: { scenario: string; status: string; casesRun: number; replay: string }) => [r.scenario, r.status, r.casesRun, r.replay];
      expect(fromChild.map(verdict)).toEqual(inProcess.map(verdict));
    } finally {
      await host.close();
    }
  });

  // A folder inside this project: Node's resolution would walk up to the project's own tfjs.
  test('a folder without tfjs is a harness failure of that request, with the reason, never the parent folder\'s tfjs', async () => {
    const host = childProcessHost({ tfjsFolder: path.join(__dirname, 'no-tfjs-here') });
    try {
      await expect(host.probe(['cpu'])).rejects.toThrow(HarnessError);
      await expect(host.probe(['cpu'])).rejects.toThrow(/Cannot find module '@tensorflow\/tfjs-core' in .*no-tfjs-here/);
    } finally {
      await host.close();
    }
  });
});
