/**
 * `npm run bench:browser`: wall time of the shipped scenarios on webgl and on webgpu in headless
 * Chromium, browser start and page load included, next to the same scenarios on Node's cpu in the
 * same run (the ratio says what a browser backend costs over the Node reference). Prints a table
 * and writes reports/bench-browser.json.
 *
 * Flags: `--runs N` (cases per property scenario, default 10, as `bn-suite run`).
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import type { BackendName } from '../../engine/backends';
import { DEFAULT_SEED } from '../../engine/defaults';
import { writeFileAtomic } from '../../hosts/node/atomic-write';
import { runSuite } from '../../hosts/node/run-suite';
import { openHosts } from '../../hosts/open-hosts';
import { loadKnownIssues } from '../../surfaces/inputs/known-issues-file';
import { loadScenarios } from '../../surfaces/inputs/load-scenarios';
import { SHIPPED_EXPECTATIONS, SHIPPED_SCENARIOS } from '../../surfaces/paths';

interface Pass {
  backend: BackendName;
  /** How the pass differs from tfjs's defaults ('' for none). */
  variant: string;
  available: boolean;
  reason?: string;
  /** Chromium start, page load and backend probe (0 for Node's cpu). */
  startSeconds: number;
  runSeconds: number;
  wallSeconds: number;
  results: number;
  casesRun: number;
  unexpected: number;
}

async function measure(backend: BackendName, runs: number, cacheDir: string, variant: '' | 'WEBGL_USE_SHAPES_UNIFORMS' = ''): Promise<Pass> {
  const started = performance.now();
  const tfjsFlags = variant === '' ? {} : { webgl: { [variant]: true } };
  const hosts = await openHosts({ backends: [backend], cacheDir, browser: { tfjsFlags } });
  const opened = performance.now();
  try {
    const status = hosts.statuses.find((s) => s.name === backend);
    if (status === undefined || !status.available) {
      return { backend, variant, available: false, reason: status !== undefined && !status.available ? status.reason : 'not probed', startSeconds: 0, runSeconds: 0, wallSeconds: 0, results: 0, casesRun: 0, unexpected: 0 };
    }
    const suite = await runSuite({
      scenarios: loadScenarios(SHIPPED_SCENARIOS),
      backends: [backend],
      backendStatuses: hosts.statuses,
      knownIssues: loadKnownIssues(SHIPPED_EXPECTATIONS),
      seed: DEFAULT_SEED,
      runs,
      host: hosts.host,
    });
    const ended = performance.now();
    return {
      backend,
      variant,
      available: true,
      startSeconds: (opened - started) / 1000,
      runSeconds: (ended - opened) / 1000,
      wallSeconds: (ended - started) / 1000,
      results: suite.summary.results,
      casesRun: suite.summary.casesRun,
      unexpected: suite.summary.byOutcome['unexpected-fail'] + suite.summary.byOutcome['unexpected-pass'],
    };
  } finally {
    await hosts.close();
  }
}

async function main(): Promise<void> {
  const flags = new Command().option('--runs <n>', 'cases per property scenario', '10').parse(process.argv).opts<{ runs: string }>();
  const runs = Number(flags.runs);
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-bench-browser-'));
  try {
    // Each backend builds its own pre-trained bases (the cache key holds the backend): no pass profits from another's.
    const passes: Pass[] = [];
    for (const backend of ['cpu', 'webgl', 'webgpu'] as const) passes.push(await measure(backend, runs, cacheDir));
    // Opt-in (bn-suite run --webgl-shape-uniforms): one compiled program per op for every shape.
    passes.push(await measure('webgl', runs, cacheDir, 'WEBGL_USE_SHAPES_UNIFORMS'));
    const cpu = passes[0];
    const lines = [
      `shipped scenarios, --runs ${runs}, ${os.availableParallelism()} cores; each pass starts from an empty base cache`,
      '',
      '| backend | flags | start s | run s | wall s | x cpu | results | cases | unexpected |',
      '|---|---|---|---|---|---|---|---|---|',
      ...passes.map((p) =>
        p.available
          ? `| ${p.backend} | ${p.variant || 'tfjs defaults'} | ${p.startSeconds.toFixed(1)} | ${p.runSeconds.toFixed(1)} | ${p.wallSeconds.toFixed(1)} | ${(p.wallSeconds / cpu.wallSeconds).toFixed(2)} | ${p.results} | ${p.casesRun} | ${p.unexpected} |`
          : `| ${p.backend} | ${p.variant || 'tfjs defaults'} | unavailable: ${p.reason} | | | | | | |`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    fs.mkdirSync('reports', { recursive: true });
    writeFileAtomic(path.join('reports', 'bench-browser.json'), `${JSON.stringify({ runs, passes }, null, 2)}\n`);
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:browser failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 3;
});
