import { matchKnownIssue } from '../../engine/expectations/classify';
import * as path from 'node:path';
import { UsageError } from '../../engine/errors';
import { loadKnownIssues } from '../inputs/known-issues-file';
import { knownIssuesForTfjs } from '../../engine/expectations/known-issues';
import { replayFailure } from '../repro/replay';
import { seconds } from '../repro/render-issue';
import { hasReproTemplate } from '../repro/render-script';
import { formatVerification } from '../repro/verify';
import { createRepro, reproDirFor, type ReproReport } from '../repro/write-repro';
import { tf } from '../../hosts/node/tfjs';
import { EXIT, type ExitCode } from './exit-codes';
import type { CliIo } from './io';
import { SHIPPED_EXPECTATIONS, SHIPPED_SCENARIOS } from '../paths';

/** Flags of `bn-suite repro`, as commander hands them over. */
export interface ReproFlags {
  scenario?: string;
  backend?: string;
  seed?: string;
  path?: string;
  scenarios?: string;
  expectations?: string;
  out?: string;
  verifyInstall?: boolean;
}

/** The known-issue entry covering (scenario, invariant, backend), as `bn-suite run` matches them. */
function parseSeedFlag(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const seed = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(seed)) throw new UsageError(`--seed '${raw}': expected an integer`);
  return seed;
}

function describeReport(report: ReproReport): string {
  const lines: string[] = [];
  const m = report.minimize;
  if (m !== null) {
    lines.push(`minimised: ${m.attempts} attempts in ${seconds(m.durationMs)}, ${m.reductions.length} reduction(s)${m.reductions.length > 0 ? `: ${m.reductions.join('; ')}` : ''}`);
  }
  lines.push(`wrote ${path.relative(process.cwd(), report.dir) || '.'}${path.sep} (repro.mjs ${report.sizes['repro.mjs']} bytes, package.json, ISSUE.md)`);
  if (report.verification !== null) {
    const how = report.verification.mode === 'installed' ? 'after npm install' : "with bn-suite's tfjs packages";
    lines.push(`verification (node repro.mjs ${how}): ${formatVerification(report.verification)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `bn-suite repro <token>` / `--scenario --backend --seed`: replay the failure, minimize it, write
 * repro.mjs + package.json + ISSUE.md, and verify the script in a fresh process. Exit 0 for a
 * verified repro, 1 when the script does not reproduce, 2 usage errors (thrown), 3 harness failures.
 */
export async function reproCommand(token: string | undefined, flags: ReproFlags, io: CliIo): Promise<ExitCode> {
  const seed = parseSeedFlag(flags.seed);
  if (token === undefined && flags.scenario === undefined && flags.backend === undefined && seed === undefined) {
    throw new UsageError('repro needs a replay token (bn-suite:<scenario>@<backend>?seed=..&path=..&tfjs=..) or --scenario, --backend and --seed');
  }
  const expectationsFile = flags.expectations ?? SHIPPED_EXPECTATIONS;
  const knownIssues = loadKnownIssues(expectationsFile);
  const replay = await replayFailure({
    ...(token !== undefined ? { token } : {}),
    ...(flags.scenario !== undefined ? { scenario: flags.scenario } : {}),
    ...(flags.backend !== undefined ? { backend: flags.backend } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(flags.path !== undefined ? { path: flags.path } : {}),
    scenariosDir: flags.scenarios ?? SHIPPED_SCENARIOS,
  });
  if (!hasReproTemplate(replay.scenario.invariant)) {
    throw new UsageError(`no repro template for invariant ${replay.scenario.invariant} yet (scenario ${replay.scenario.id} fails: ${replay.verdict.summary})`);
  }
  io.stderr(`replayed ${replay.scenario.id} @ ${replay.backend} in ${seconds(replay.durationMs)}: ${replay.verdict.status} ${replay.verdict.summary}\n`);
  if (replay.tokenTfjs !== undefined && replay.tokenTfjs !== tf.version_core) {
    io.stderr(`note: the token came from tfjs ${replay.tokenTfjs}; this is tfjs ${tf.version_core}\n`);
  }
  const known = matchKnownIssue({ scenario: replay.scenario.id, invariant: replay.scenario.invariant, backend: replay.backend }, knownIssuesForTfjs(knownIssues, tf.version_core));
  const outDir = flags.out !== undefined ? path.resolve(flags.out) : reproDirFor(path.resolve('reports', 'repros'), replay.scenario.id, replay.backend);
  const report = await createRepro({
    scenario: { id: replay.scenario.id, description: replay.scenario.description, invariant: replay.scenario.invariant },
    backend: replay.backend,
    counterexample: replay.counterexample,
    verdict: replay.verdict,
    context: replay.context,
    outDir,
    replayToken: replay.token,
    knownIssue: known,
    verify: flags.verifyInstall ? 'install' : 'link',
  });
  io.stdout(describeReport(report));
  const verification = report.verification;
  if (verification?.installError !== undefined) return EXIT.harness;
  return verification?.reproduces ? EXIT.ok : EXIT.unexpected;
}

