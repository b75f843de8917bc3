import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TransferScenario } from '../../../src/engine/scenarios/types';
import { installedNsfwjsVersion } from '../../../src/hosts/node/nsfwjs-models';
import { probeBackend } from '../../../src/hosts/node/backends';
import { transferEvidenceOf } from '../../../src/results/evidence';
import { loadScenarios } from '../../../src/surfaces/inputs/load-scenarios';
import { SHIPPED_SCENARIOS } from '../../../src/surfaces/paths';
import { reproduceTransfer } from '../../../src/surfaces/repro/transfer-repro';

const scenario = loadScenarios(SHIPPED_SCENARIOS)
  .map((l) => l.scenario)
  .find((s): s is TransferScenario => s.id === 'mnist/mobilenet-v2-frozen-base' && s.kind === 'transfer')!;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-mobilenet-repro-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * The MobileNetV2 transfer repro end to end on wasm: bn-suite's run (in this process), the capture,
 * repro.mjs run in a fresh process. About a minute: the run and the script each fine-tune
 * MobileNetV2 (the script the frozen variant only).
 */
describe('transfer repro: nsfwjs MobileNetV2 on wasm', () => {
  test("repro.mjs exits 1 with bn-suite's accuracies and the same 52 drifted BN layers", async () => {
    expect(installedNsfwjsVersion()).toBe('4.4.0');
    const wasm = await probeBackend('wasm');
    if (!wasm.available) throw new Error(`wasm unavailable: ${wasm.reason}`);
    const { result, repro } = await reproduceTransfer({ scenario, backend: 'wasm', dir: path.join(dir, 'repro') });
    expect(result.status).toBe('fail');
    const v = repro.verification!;
    expect([v.exitCode, v.reproduces]).toEqual([1, true]);

    const evidence = transferEvidenceOf(result)!;
    const frozen = evidence.variants.frozen;
    const line = /^frozen base \(base\.trainable = false\): training-mode accuracy [\d.]+% \((\d+)\/(\d+)\), inference-mode accuracy [\d.]+% \((\d+)\/\d+\), gap ([\d.]+) points$/m.exec(v.stdout);
    expect(line).not.toBeNull();
    const [training, total, inference, gap] = line!.slice(1).map(Number);
    const round4 = (x: number) => Math.round(x * 1e4) / 1e4;
    expect({ training: round4(training / total), inference: round4(inference / total), gap }).toEqual({
      training: frozen.trainingModeAccuracy.at(-1),
      inference: frozen.inferenceModeAccuracy.at(-1),
      gap: frozen.gapPoints.at(-1),
    });
    // Every BN layer's largest drift, as bn-suite recorded it step by step.
    const printed = Object.fromEntries([...v.stdout.matchAll(/^ {4}(\S+): moving_mean ([\d.e-]+), moving_variance ([\d.e-]+)$/gm)].map((m) => [m[1], [Number(m[2]), Number(m[3])]]));
    const recorded = Object.fromEntries(Object.entries(evidence.drift.frozen).map(([layer, d]) => [layer, [Math.max(...(d.mean as number[])), Math.max(...(d.variance as number[]))]]));
    expect(Object.keys(printed)).toHaveLength(52);
    expect(printed).toEqual(recorded);
    // The script runs the frozen variant only (the control is bn-suite's, quoted in ISSUE.md).
    expect(v.stdout).not.toMatch(/^control /m);
    expect(fs.readdirSync(repro.dir).sort()).toEqual(['ISSUE.md', 'package.json', 'repro.mjs']);
    expect(JSON.parse(fs.readFileSync(path.join(repro.dir, 'package.json'), 'utf8')).dependencies.nsfwjs).toBe('4.4.0');
    const control = evidence.variants.control;
    const pct = (fraction: number | null | undefined) => `${((fraction as number) * 100).toFixed(1)}%`;
    expect(fs.readFileSync(path.join(repro.dir, 'ISSUE.md'), 'utf8')).toContain(
      `(through a layer that wraps it; add 'control' to \`VARIANTS\` in the script to run it there too): ${pct(control.trainingModeAccuracy.at(-1))} in training mode vs ${pct(control.inferenceModeAccuracy.at(-1))} in inference mode`,
    );
  }, 240_000);
});
