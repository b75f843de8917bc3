/**
 * `npm run bench:matrix`: the cost of `bn-suite matrix` over N tfjs versions on this machine:
 * cold (every version installed from the registry into an empty cache, pre-trained bases rebuilt),
 * warm (the same cache, in parallel), and warm one version after another, for the speed-up of the
 * parallel run. Prints a table and writes reports/bench-matrix.json.
 *
 * Flags: `--tfjs LIST` (default the seven versions of the README), `--runs N` (default 10).
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { DEFAULT_SEED } from '../../engine/defaults';
import { writeFileAtomic } from '../../hosts/node/atomic-write';
import type { MatrixResult } from '../../results/matrix-schema';
import { loadKnownIssues } from '../../surfaces/inputs/known-issues-file';
import { loadScenarios } from '../../surfaces/inputs/load-scenarios';
import { runMatrix } from '../../surfaces/matrix/run-matrix';
import { SHIPPED_EXPECTATIONS, SHIPPED_SCENARIOS } from '../../surfaces/paths';

const DEFAULT_VERSIONS = '1.7.4,2.8.6,3.0.0,3.21.0,4.0.0,4.10.0,4.22.0';

interface Pass {
  label: string;
  parallel: number;
  wallSeconds: number;
  columns: { version: string; status: string; seconds: number | null; installSeconds: number | null }[];
}

function summarizePass(label: string, matrix: MatrixResult): Pass {
  return {
    label,
    parallel: matrix.parallel,
    wallSeconds: matrix.durationMs / 1000,
    columns: matrix.columns.map((c) => ({
      version: c.requested,
      status: c.status,
      seconds: c.status === 'ran' ? c.wallMs / 1000 : null,
      installSeconds: c.status === 'ran' && c.install !== null && !c.install.reused ? c.install.durationMs / 1000 : null,
    })),
  };
}

async function main(): Promise<void> {
  const flags = new Command().option('--tfjs <list>', 'versions', DEFAULT_VERSIONS).option('--runs <n>', 'cases per property scenario', '10').parse(process.argv).opts<{ tfjs: string; runs: string }>();
  const versions = flags.tfjs.split(',').map((v) => v.trim()).filter((v) => v !== '');
  const runs = Number(flags.runs);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-bench-matrix-'));
  const common = { versions, scenarios: loadScenarios(SHIPPED_SCENARIOS), knownIssues: loadKnownIssues(SHIPPED_EXPECTATIONS), seed: DEFAULT_SEED, runs, tfjsCacheDir: path.join(work, 'tfjs'), cacheDir: path.join(work, 'models') };
  const cores = os.availableParallelism();
  try {
    const passes: Pass[] = [];
    passes.push(summarizePass('cold (installs, bases built)', await runMatrix({ ...common, parallel: cores })));
    passes.push(summarizePass('warm, parallel', await runMatrix({ ...common, parallel: cores })));
    passes.push(summarizePass('warm, one at a time', await runMatrix({ ...common, parallel: 1 })));
    const speedup = passes[2].wallSeconds / passes[1].wallSeconds;
    const lines = [
      `bn-suite matrix over ${versions.length} tfjs versions x cpu+wasm, shipped scenarios, --runs ${runs}, ${cores} cores`,
      '',
      '| pass | versions at once | wall time |',
      '|---|---|---|',
      ...passes.map((p) => `| ${p.label} | ${p.parallel} | ${p.wallSeconds.toFixed(1)} s |`),
      '',
      `parallel speed-up over one at a time (warm): ${speedup.toFixed(2)}x`,
      '',
      '| version | status | cold s (install s) | warm parallel s | warm serial s |',
      '|---|---|---|---|---|',
      ...versions.map((v, i) => {
        const [cold, warm, serial] = passes.map((p) => p.columns[i]);
        return `| ${v} | ${cold.status} | ${cold.seconds?.toFixed(1) ?? '-'} (${cold.installSeconds?.toFixed(1) ?? '-'}) | ${warm.seconds?.toFixed(1) ?? '-'} | ${serial.seconds?.toFixed(1) ?? '-'} |`;
      }),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    fs.mkdirSync('reports', { recursive: true });
    writeFileAtomic(path.join('reports', 'bench-matrix.json'), `${JSON.stringify({ versions, runs, cores, passes, speedup }, null, 2)}\n`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:matrix failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 3;
});
