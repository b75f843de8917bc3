import { expectedFingerprintFor, expectedFingerprintSchema, fingerprintMismatch, fingerprintOf } from '../../../src/engine/expectations/fingerprint';

describe('fingerprintOf', () => {
  test('sorts and dedups the parts; a non-finite magnitude becomes null (JSON cannot hold it)', () => {
    expect(fingerprintOf(['bn/moving_variance', 'bn/moving_mean', 'bn/moving_mean'], 0.5)).toEqual({ parts: ['bn/moving_mean', 'bn/moving_variance'], magnitude: 0.5 });
    expect(fingerprintOf(['x'], Infinity).magnitude).toBeNull();
    expect(fingerprintOf(['x'], NaN).magnitude).toBeNull();
  });
});

describe('fingerprintMismatch', () => {
  const expected = { parts: ['bn/moving_mean', 'bn/moving_variance'], band: [0.001, 10] as [number, number] };
  test('fits when every failing part is listed and the magnitude is inside the band', () => {
    expect(fingerprintMismatch(fingerprintOf(['bn/moving_mean'], 0.2), expected)).toBeNull();
    expect(fingerprintMismatch(fingerprintOf(['bn/moving_mean', 'bn/moving_variance'], 10), expected)).toBeNull();
  });
  test('a part the entry does not list is another fault', () => {
    expect(fingerprintMismatch(fingerprintOf(['bn/moving_mean', 'bn/gamma'], 0.2), expected)).toMatch(/does not list: bn\/gamma/);
  });
  test('a magnitude outside the band, or none, does not fit a banded entry', () => {
    expect(fingerprintMismatch(fingerprintOf(['bn/moving_mean'], 11), expected)).toMatch(/outside the known issue's band/);
    expect(fingerprintMismatch(fingerprintOf(['bn/moving_mean'], 0.0001), expected)).toMatch(/outside/);
    expect(fingerprintMismatch(fingerprintOf(['bn/moving_mean'], null), expected)).toMatch(/not a finite number/);
    expect(fingerprintMismatch(fingerprintOf(['bn/moving_mean'], null), { parts: expected.parts })).toBeNull();
  });
});

describe('expectedFingerprintFor', () => {
  test('lists every part seen and a band one decade wider than the magnitudes, in powers of ten', () => {
    const written = expectedFingerprintFor([fingerprintOf(['a'], 0.034), fingerprintOf(['b'], 2.5)]);
    expect(written).toEqual({ parts: ['a', 'b'], band: [0.001, 100] });
    // What it was written from fits it.
    expect(fingerprintMismatch(fingerprintOf(['a'], 0.034), written!)).toBeNull();
  });
  test('no band when a failure has no magnitude; a zero magnitude keeps the lower bound at 0', () => {
    expect(expectedFingerprintFor([fingerprintOf(['a'], null), fingerprintOf(['a'], 3)])).toEqual({ parts: ['a'] });
    expect(expectedFingerprintFor([fingerprintOf(['a'], 0), fingerprintOf(['a'], 3)])?.band).toEqual([0, 100]);
    expect(expectedFingerprintFor([])).toBeNull();
  });
  test('the schema refuses an empty part list and an inverted band', () => {
    expect(expectedFingerprintSchema.safeParse({ parts: [] }).success).toBe(false);
    expect(expectedFingerprintSchema.safeParse({ parts: ['a'], band: [2, 1] }).success).toBe(false);
    expect(expectedFingerprintSchema.safeParse({ parts: ['a'], band: [1, 2] }).success).toBe(true);
  });
});
