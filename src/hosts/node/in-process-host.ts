import type { Host } from '../host';
import { runJob } from '../../engine/run/job';
import type { ScenarioResult } from '../../engine/run/run-scenario';
import { isWasmTrap, resetBackend } from './backends';
import { nodeHostServices, nodeInvariantContext, type NodeHostOptions } from './services';

/**
 * The in-process Node host: the engine runs in this process on the host project's tfjs. Jobs run
 * one at a time (tfjs keeps one global engine).
 */
export function inProcessHost(options: NodeHostOptions = {}): Host {
  return {
    async run(jobs, onEvent) {
      const services = nodeHostServices(options);
      const results: ScenarioResult[] = [];
      for (const [index, job] of jobs.entries()) {
        onEvent?.({ phase: 'start', index, job });
        await services.activate(job.backend);
        const result = await runJob(job, nodeInvariantContext(job.backend, job.otherBackends, services));
        results.push(result);
        // A trap leaves the wasm module unusable: the jobs after it get a fresh one.
        if (isWasmTrap(result)) {
          options.onWarning?.(`${job.scenario.id} @ wasm trapped (${result.summary.split('\n')[0]}); bn-suite gave the wasm backend a fresh module for the jobs after it`);
          await resetBackend('wasm');
        }
        onEvent?.({ phase: 'done', index, job, result });
      }
      return results;
    },
  };
}
