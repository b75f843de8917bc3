import { resolveTfjsFile } from '../../../src/hosts/node/tfjs';
import { bundlesFor } from '../../../src/hosts/browser/tfjs-bundles';

describe('bundlesFor', () => {
  test('core, cpu, the backend and layers, in UMD load order, from the tfjs under test', () => {
    const set = bundlesFor('webgl', resolveTfjsFile);
    expect(set.ok).toBe(true);
    if (!set.ok) return;
    expect(set.bundles.map((b) => b.name)).toEqual(['tf-core.min.js', 'tf-backend-cpu.min.js', 'tf-backend-webgl.min.js', 'tf-layers.min.js']);
    expect(set.tfjs['@tensorflow/tfjs-core']).toMatch(/^\d+\.\d+\.\d+/);
    expect(set.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  test('a package that is not installed is a reason naming it, not a throw', () => {
    const missing = (specifier: string): string => {
      if (specifier.startsWith('@tensorflow/tfjs-backend-webgpu')) throw Object.assign(new Error('not found'), { code: 'MODULE_NOT_FOUND' });
      return resolveTfjsFile(specifier);
    };
    const set = bundlesFor('webgpu', missing);
    expect(set).toEqual({ ok: false, packageName: '@tensorflow/tfjs-backend-webgpu', reason: expect.stringContaining('@tensorflow/tfjs-backend-webgpu (dist/tf-backend-webgpu.min.js) is not installed') });
  });
});
