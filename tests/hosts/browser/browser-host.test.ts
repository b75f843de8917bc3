import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { openBrowserHost, type BrowserHostOptions } from '../../../src/hosts/browser/browser-host';
import { resolveTfjsFile } from '../../../src/hosts/node/tfjs';

const root = path.resolve(__dirname, '../../..');

function options(overrides: Partial<BrowserHostOptions>): BrowserHostOptions {
  return { backends: ['webgl', 'webgpu'], resolveTfjsFile, packageRoot: root, mnistBrowserFile: require.resolve('mnist/dist/mnist.js'), ...overrides };
}

describe('openBrowserHost without a usable browser', () => {
  test('no Chromium: every browser backend is unavailable with the reason, and nothing is started', async () => {
    let launched = false;
    const host = await openBrowserHost(
      options({
        chromium: { found: false, reason: 'no Chromium found: install one' },
        launch: async () => {
          launched = true;
          throw new Error('must not launch');
        },
      }),
    );
    expect(launched).toBe(false);
    expect(host.statuses.map((s) => [s.name, s.available, !s.available && s.kind, !s.available && s.reason])).toEqual([
      ['webgl', false, 'browser-missing', 'no Chromium found: install one'],
      ['webgpu', false, 'browser-missing', 'no Chromium found: install one'],
    ]);
    await host.close();
  });

  test('a Chromium that does not start: browser-failed with its first line, and the server is closed', async () => {
    const host = await openBrowserHost(
      options({
        chromium: { found: true, executable: '/usr/bin/chromium' },
        launch: (): Promise<Browser> => Promise.reject(new Error('Failed to launch: missing libnss3.so\nmore detail')),
      }),
    );
    expect(host.statuses.every((s) => !s.available && s.kind === 'browser-failed')).toBe(true);
    expect(host.statuses[0]).toMatchObject({ reason: 'Chromium (/usr/bin/chromium) did not start: Failed to launch: missing libnss3.so' });
    await host.close();
  });
});

import { findChromium } from '../../../src/hosts/browser/chromium';
import { loadScenarios } from '../../../src/surfaces/inputs/load-scenarios';

const chromium = findChromium();
const withChromium = chromium.found ? describe : describe.skip;

withChromium(`openBrowserHost in Chromium${chromium.found ? '' : ` (skipped: ${chromium.reason})`}`, () => {
  const scenario = loadScenarios(path.join(root, 'scenarios')).find((s) => s.scenario.id === 'oracle/affine')?.scenario;

  test('a job that outlives its time limit is an error result naming the limit; the page is replaced and the next job runs', async () => {
    if (scenario === undefined) throw new Error('the shipped scenario oracle/affine is missing');
    const host = await openBrowserHost(options({ backends: ['webgl'], jobTimeoutMs: 1 }));
    try {
      expect(host.statuses[0]).toMatchObject({ name: 'webgl', available: true });
      const job = { scenario, backend: 'webgl' as const, otherBackends: ['cpu' as const], seed: 1, runs: 1 };
      const [timedOut] = await host.run([job]);
      expect(timedOut.status).toBe('error');
      expect(timedOut.summary).toContain('did not finish the job within 1 ms');
      expect(timedOut.evidence).toMatchObject({ host: 'browser', failure: expect.stringContaining('did not finish') });
      expect(timedOut.replay).toMatch(/^bn-suite:oracle\/affine@webgl\?seed=1&tfjs=\d/);
    } finally {
      await host.close();
    }
  }, 120_000);

  test('the page runs a job to the same result record as Node', async () => {
    if (scenario === undefined) throw new Error('the shipped scenario oracle/affine is missing');
    const host = await openBrowserHost(options({ backends: ['webgl'] }));
    try {
      const [result] = await host.run([{ scenario, backend: 'webgl', otherBackends: ['cpu'], seed: 1, runs: 2 }]);
      expect(result).toMatchObject({ scenario: 'oracle/affine', backend: 'webgl', status: 'pass', casesRun: 2 });
      expect(host.info.webgl?.probe.flags.WEBGL_VERSION).toBe(2);
    } finally {
      await host.close();
    }
  }, 120_000);
});

import { describeDevice } from '../../../src/hosts/browser/browser-host';

describe('describeDevice', () => {
  const probe = { backend: 'webgl' as const, available: true, active: 'webgl', renderer: 'ANGLE (SwiftShader)', float32: true, flags: { WEBGL_USE_SHAPES_UNIFORMS: false } };
  test('Chromium, renderer and precision; a non-default shader path is named', () => {
    expect(describeDevice('156.0', probe)).toBe('Chromium 156.0; ANGLE (SwiftShader); float32');
    expect(describeDevice('156.0', { ...probe, float32: false, flags: { WEBGL_USE_SHAPES_UNIFORMS: true } })).toBe('Chromium 156.0; ANGLE (SwiftShader); float16 textures; WEBGL_USE_SHAPES_UNIFORMS');
  });
  test('no precision for a backend that does not run', () => {
    expect(describeDevice('156.0', { ...probe, available: false, float32: false })).toBe('Chromium 156.0; ANGLE (SwiftShader)');
  });
});
