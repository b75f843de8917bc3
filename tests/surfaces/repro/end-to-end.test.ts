import { DEFAULT_SEED } from '../../../src/engine/defaults';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { minimizeCase, caseElements } from '../../../src/surfaces/repro/minimize';
import { replayFailure } from '../../../src/surfaces/repro/replay';
import type { FrozenStatsObservation } from '../../../src/surfaces/repro/render-script';
import { verifyRepro } from '../../../src/surfaces/repro/verify';
import { createRepro } from '../../../src/surfaces/repro/write-repro';
import { tf, tfjsVersions } from '../../../src/hosts/node/tfjs';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';

const SEED = DEFAULT_SEED;
const fmt = (v: number) => String(Number(v.toPrecision(7)));

const tempDir = useCpuAndTempDir('bn-suite-repro-e2e-');

/** The packages a script imports (static `import ... from 'x'` and `import 'x'`). */
function importedPackages(script: string): string[] {
  return [...script.matchAll(/^import\s+(?:[^'"]*?\s+from\s+)?(['"])([^'"]+)\1;?$/gm)].map((m) => m[2]).sort();
}

describe('repro end to end: the frozen-BN known issue on cpu', () => {
  test.each(['frozen-moving-stats/fit', 'frozen-moving-stats/layer-apply'])(
    '%s: replay -> minimize -> write -> verify',
    async (scenario) => {
      const replay = await replayFailure({ scenario, backend: 'cpu', seed: SEED });
      expect(replay.verdict.status).toBe('fail');
      expect(replay.token).toMatch(new RegExp(`^bn-suite:${scenario}@cpu\\?seed=${SEED}&path=`));

      // A cpu replay is checked in this process, so it has a context.
      const minimized = await minimizeCase(replay.invariant, replay.counterexample, replay.context!, { verdict: replay.verdict });
      expect(minimized.verdict.status).toBe('fail');
      expect(caseElements(minimized.spec)).toBeLessThanOrEqual(caseElements(replay.counterexample));
      expect(minimized.attempts).toBeGreaterThan(0);

      const dir = path.join(tempDir(), scenario.replace('/', '-'));
      const report = await createRepro({
        scenario: { id: replay.scenario.id, description: replay.scenario.description, invariant: replay.scenario.invariant },
        backend: 'cpu',
        counterexample: minimized.spec,
        verdict: minimized.verdict,
        outDir: dir,
        replayToken: replay.token,
        knownIssue: { issue: 'unreported', reason: 'test reason' },
      });
      expect(report.verification?.reproduces).toBe(true);
      expect(fs.readdirSync(dir).sort()).toEqual(['ISSUE.md', 'package.json', 'repro.mjs']);
      // No staging or backup folder left next to it.
      expect(fs.readdirSync(tempDir()).filter((name) => name.startsWith('.'))).toEqual([]);

      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      const versions = tfjsVersions();
      expect(manifest.type).toBe('module');
      expect(manifest.dependencies).toEqual({
        '@tensorflow/tfjs-core': versions['@tensorflow/tfjs-core'],
        '@tensorflow/tfjs-layers': versions['@tensorflow/tfjs-layers'],
        '@tensorflow/tfjs-backend-cpu': versions['@tensorflow/tfjs-backend-cpu'],
      });
      for (const version of Object.values(manifest.dependencies)) expect(version).toMatch(/^\d+\.\d+\.\d+/);

      const script = fs.readFileSync(path.join(dir, 'repro.mjs'), 'utf8');
      expect(importedPackages(script)).toEqual(['@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers']);
      expect(script).not.toMatch(/require\(|import\(|from ['"]bn-suite/);
      expect(script).toContain('tf.enableProdMode()');
      expect(script).toContain('bn.trainable = false;');

      const run = await verifyRepro(dir);
      expect(run.exitCode).toBe(1);
      expect(run.reproduces).toBe(true);
      const observed = report.capture.observed as FrozenStatsObservation;
      const meanDrift = Math.max(...observed.movingMean.before.map((v, i) => Math.abs(observed.movingMean.after[i] - v)));
      expect(meanDrift).toBeGreaterThan(0);
      expect(run.stdout).toContain(`moving_mean     before [${observed.movingMean.before.map(fmt).join(', ')}]  after [${observed.movingMean.after.map(fmt).join(', ')}]  drift ${fmt(meanDrift)}`);
      expect(run.stdout).toContain('moving_variance');
      expect(run.stdout).toMatch(/^RESULT: reproduced$/m);
      expect(run.stderr).not.toContain('Hi, looks like you are running TensorFlow.js');
      // The verification's temporary folder and link are gone; the repro folder was not touched.
      expect(fs.readdirSync(dir).sort()).toEqual(['ISSUE.md', 'package.json', 'repro.mjs']);

      const issue = fs.readFileSync(path.join(dir, 'ISSUE.md'), 'utf8');
      for (const heading of ['**System information**', '**Describe the current behavior**', '**Describe the expected behavior**', '**Standalone code to reproduce the issue**', '**Other info / logs**']) {
        expect(issue).toContain(heading);
      }
      expect(issue).toContain(`@tensorflow/tfjs-core@${tf.version_core}`);
      expect(issue).toContain('- Backend: cpu');
      expect(issue).toContain(`- Node.js version: ${process.versions.node}`);
      expect(issue).toContain(script.trimEnd());
      expect(issue).toContain('npm install');
      expect(issue).toContain('node repro.mjs');
      expect(issue).toContain(replay.token);
      expect(issue).toContain('trainable = false` must stop moving-statistic updates');
      expect(issue).toContain(`| moving_mean | [${observed.movingMean.before.map(fmt).join(', ')}] | [${observed.movingMean.after.map(fmt).join(', ')}] |`);
      expect(issue).toContain('RESULT: reproduced');
    },
    20_000,
  );

  test('mode-switch: the training-mode vs inference-mode script reproduces', async () => {
    const replay = await replayFailure({ scenario: 'mode-switch', backend: 'cpu', seed: SEED });
    const dir = path.join(tempDir(), 'mode-switch');
    const report = await createRepro({
      scenario: { id: replay.scenario.id, description: replay.scenario.description, invariant: 'mode-switch' },
      backend: 'cpu',
      counterexample: replay.counterexample,
      verdict: replay.verdict,
      outDir: dir,
    });
    expect(report.verification?.exitCode).toBe(1);
    expect(report.verification?.stdout).toContain('model.apply(x, {training: true})');
    expect(report.verification?.stdout).toMatch(/max abs diff \d/);
    const issue = fs.readFileSync(path.join(dir, 'ISSUE.md'), 'utf8');
    expect(issue).toContain('must give the same output as `model.predict(x)`');
  }, 20_000);

  test('a case that passes now is refused with "does not reproduce on tfjs X"', async () => {
    // The same scenario with nothing frozen would pass; a scenario folder with such a scenario.
    const dir = path.join(tempDir(), 'passing-scenarios');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'tags.yaml'), 'tags:\n  fit: trained through model.fit\n');
    fs.writeFileSync(
      path.join(dir, 'unfrozen.yaml'),
      'id: unfrozen\nkind: property\ndescription: nothing frozen\nprovenance: test\ntags: [ fit ]\ninvariant: frozen-moving-stats\nvary:\n  entryPoints: [ layerApply ]\n  freeze: [ none ]\n  momentum: { min: 1, max: 1 }\n',
    );
    await expect(replayFailure({ scenario: 'unfrozen', backend: 'cpu', seed: 1, runs: 2, scenariosDir: dir })).rejects.toThrow(
      new RegExp(`does not reproduce on tfjs ${tf.version_core.replace(/\./g, '\\.')}`),
    );
  }, 20_000);
});
