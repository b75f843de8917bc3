import { testedTfjsRange, tfjsWarnings } from '../../../src/surfaces/doctor/doctor';

describe('tfjsWarnings', () => {
  const versions = (core: string, extra: Record<string, string> = {}) => ({ '@tensorflow/tfjs-core': core, '@tensorflow/tfjs-layers': core, ...extra });

  test('the tested range is the peer range of package.json', () => {
    expect(testedTfjsRange()).toBe(require('../../../package.json').peerDependencies['@tensorflow/tfjs-core']);
  });

  test('nothing to say inside the tested range with matching packages', () => {
    expect(tfjsWarnings(versions('1.7.4'), '>=1.7.4 <4.23.0')).toEqual([]);
    expect(tfjsWarnings(versions('4.22.0', { '@tensorflow/tfjs-backend-wasm': '4.22.0', '@tensorflow/tfjs-node': '4.21.0' }), '>=1.7.4 <4.23.0')).toEqual([]);
  });

  test('a tfjs outside the range, and packages of another version, are named', () => {
    expect(tfjsWarnings(versions('4.23.0-rc.0'), '>=1.7.4 <4.23.0')).toEqual([expect.stringMatching(/^@tensorflow\/tfjs-core 4\.23\.0-rc\.0 is outside the versions bn-suite is tested on \(>=1\.7\.4 <4\.23\.0\)/)]);
    expect(tfjsWarnings(versions('3.21.0', { '@tensorflow/tfjs-backend-wasm': '4.22.0' }), '>=1.7.4 <4.23.0')).toEqual([
      '@tensorflow/tfjs-backend-wasm 4.22.0 differs from @tensorflow/tfjs-core 3.21.0: tfjs packages must be the same version',
    ]);
  });
});

describe('formatDoctor', () => {
  test('says why wasm flags are missing on tfjs 1.x instead of dropping the line', () => {
    const { formatDoctor } = require('../../../src/surfaces/cli/format-doctor') as typeof import('../../../src/surfaces/cli/format-doctor');
    const text = formatDoctor({
      bnSuiteVersion: '0.1.0',
      node: '20.0.0',
      platform: 'linux',
      arch: 'x64',
      tfjs: { '@tensorflow/tfjs-core': '1.7.4', '@tensorflow/tfjs-layers': '1.7.4' },
      backends: [{ name: 'wasm', available: true, packageName: '@tensorflow/tfjs-backend-wasm', version: '1.7.4' }],
      wasm: null,
      testedTfjs: '>=1.7.4 <4.23.0',
      warnings: [],
    });
    expect(text).toContain('wasm     simd/threads not reported: tfjs-core 1.7.4 cannot say (env().getAsync came with tfjs 2.x)');
  });
});
