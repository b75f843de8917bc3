import { baseKeyParts } from '../../../src/engine/kinds/transfer/run-transfer';
import { cacheKey } from '../../../src/hosts/node/base-cache';
import { tfjsFingerprint, tfjsVersions } from '../../../src/hosts/node/tfjs';
import type { MnistTransferSpec } from '../../../src/engine/kinds/transfer/run-transfer';

describe('tfjsFingerprint', () => {
  test('is a content hash of the installed tfjs, the same on every call', () => {
    expect(tfjsFingerprint()).toMatch(/^[0-9a-f]{16}$/);
    expect(tfjsFingerprint()).toBe(tfjsFingerprint());
  });

  test('a different build of the same tfjs version gets another pre-trained-base cache key', () => {
    const spec = { dataset: 'mnist', architecture: 'mlp', variant: 'frozen', profile: 'quick', seed: 1, epochs: 1, maxGapPoints: 5 } as MnistTransferSpec;
    const versions = tfjsVersions();
    const ours = cacheKey(baseKeyParts(spec, 'cpu', versions, tfjsFingerprint()));
    expect(cacheKey(baseKeyParts(spec, 'cpu', versions, tfjsFingerprint()))).toBe(ours);
    expect(cacheKey(baseKeyParts(spec, 'cpu', versions, '0123456789abcdef'))).not.toBe(ours);
  });
});
