import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../../../src/engine/errors';
import { INVARIANT_IDS } from '../../../src/engine/invariants/types';
import { DENSE_FROZEN_CASE as SPEC } from '../../helpers/fixtures';
import { inlineCode, renderIssue } from '../../../src/surfaces/repro/render-issue';
import { captureCase, float32Literal, renderScript, stringLiteral, type ScenarioMeta } from '../../../src/surfaces/repro/render-script';
import { verifyRepro } from '../../../src/surfaces/repro/verify';
import { reproPackageJson, sanitizeName } from '../../../src/surfaces/repro/write-repro';
import { tfjsVersions } from '../../../src/hosts/node/tfjs';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';

const HOSTILE_ID = 'evil/"quote\'s`back`${process.exit(7)}\\path\nnew line\u2028ls\u2029ps</script>*/ // \u0000end';
const HOSTILE_DESCRIPTION = "desc `${process.exit(7)}` \"); process.exit(7); ('\r\n\\\\ \u2028 ```` fence ` '; process.exit(7); //";

const tempDir = useCpuAndTempDir('bn-suite-repro-hostile-');

describe('scenario text never becomes code', () => {
  test('string literals round-trip any text, U+2028/U+2029 escaped', () => {
    for (const text of [HOSTILE_ID, HOSTILE_DESCRIPTION, '', '\ud800 lone surrogate', '\u2028\u2029']) {
      const literal = stringLiteral(text);
      expect(literal).not.toMatch(/[\u2028\u2029\n\r]/);
      expect(new Function(`return ${literal};`)()).toBe(text);
    }
  });

  test('float32 literals are the shortest decimals that read back as the same float32', () => {
    for (const v of [0.1, 1 / 3, -2.5e-8, 3.4e38, 1, 0, 123456.789]) {
      const f = Math.fround(v);
      expect(Math.fround(Number(float32Literal(f)))).toBe(f);
    }
    expect(float32Literal(Math.fround(0.1))).toBe('0.1');
    expect(float32Literal(Number.NaN)).toBe('NaN');
    expect(float32Literal(-Infinity)).toBe('-Infinity');
  });

  test('a script for a scenario with a hostile id and description runs, exits 1 and prints them verbatim', async () => {
    const scenario: ScenarioMeta = { id: HOSTILE_ID, description: HOSTILE_DESCRIPTION, invariant: 'frozen-moving-stats' };
    const capture = await captureCase('frozen-moving-stats', SPEC);
    const script = renderScript({ scenario, backend: 'cpu', spec: SPEC, capture, bnSuiteVersion: '0.0.0-test' });
    expect(script).not.toContain('\u2028');
    expect(script).not.toContain('\u2029');
    // The text appears only inside the two escaped literals.
    expect(script).toContain(`const SCENARIO = ${stringLiteral(HOSTILE_ID)};`);
    expect(script).toContain(`const DESCRIPTION = ${stringLiteral(HOSTILE_DESCRIPTION)};`);

    const dir = path.join(tempDir(), sanitizeName(HOSTILE_ID));
    expect(path.basename(dir)).toMatch(/^[a-z0-9._-]+$/);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'repro.mjs'), script);
    fs.writeFileSync(path.join(dir, 'package.json'), reproPackageJson('cpu'));
    const run = await verifyRepro(dir);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(`scenario: ${HOSTILE_ID}\n`);
    expect(run.stdout).toContain(`description: ${HOSTILE_DESCRIPTION}\n`);
    expect(run.stdout).toMatch(/^RESULT: reproduced$/m);

    const issue = renderIssue({
      scenario,
      contract: 'test contract',
      backend: 'cpu',
      spec: SPEC,
      capture,
      repro: { kind: 'script', script, packageJson: reproPackageJson('cpu') },
      system: { os: 'test-os', node: process.versions.node, tfjs: tfjsVersions() },
      bnSuiteVersion: '0.0.0-test',
      replayToken: 'bn-suite:x@cpu?seed=1&tfjs=4.22.0',
      verification: run,
    });
    // The script block's fence is longer than any backtick run inside, so the whole script stays in it.
    const fence = /^(`{3,})js$/m.exec(issue);
    expect(fence).not.toBeNull();
    const longestRun = Math.max(...(script.match(/`+/g) ?? ['']).map((r) => r.length));
    expect(fence![1].length).toBeGreaterThan(longestRun);
    expect(issue).toContain(script.trimEnd());
  }, 20_000);

  test('inline code survives backticks and newlines', () => {
    expect(inlineCode('a`b')).toBe('``a`b``');
    expect(inlineCode('`x`')).toBe('`` `x` ``');
    expect(inlineCode('a\nb')).toBe('`a b`');
  });

  test('a name that is no invariant is a clear usage error (every invariant has a template)', () => {
    expect(() =>
      renderScript({
        scenario: { id: 'x', description: 'd', invariant: 'no-such-invariant' as never },
        backend: 'cpu',
        spec: SPEC,
        capture: { weights: { features: null, bn: [], head: null }, x: { shape: [1], values: [0] }, y: { shape: [1], values: [0] }, labels: [], observed: { kind: 'mode-switch' } as never },
        bnSuiteVersion: '0',
      }),
    ).toThrow(new UsageError(`no repro template for invariant no-such-invariant (templates exist for: ${INVARIANT_IDS.join(', ')})`));
  });
});
