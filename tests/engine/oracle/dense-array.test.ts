import { describe, expect } from '@jest/globals';
import { fc, test } from '@fast-check/jest';
import { assertDenseArray, normalizeAxis, sizeOf, stridesOf, unravelIndex } from '../../../src/engine/oracle/dense-array';

describe('dense-array helpers', () => {
  test('sizeOf multiplies the dimensions; a scalar holds one value', () => {
    expect(sizeOf([2, 3, 4])).toBe(24);
    expect(sizeOf([])).toBe(1);
    expect(sizeOf([3, 0])).toBe(0);
    expect(() => sizeOf([2, -1])).toThrow('sizeOf: dimension 1 of shape [2,-1] is -1, expected a non-negative integer');
    expect(() => sizeOf([1.5])).toThrow(RangeError);
  });

  test('stridesOf gives row-major strides', () => {
    expect(stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
    expect(stridesOf([])).toEqual([]);
  });

  test('unravelIndex inverts row-major flattening', () => {
    expect(unravelIndex(7, [8, 3])).toEqual([2, 1]);
    expect(unravelIndex(0, [])).toEqual([]);
    expect(() => unravelIndex(24, [8, 3])).toThrow('unravelIndex: flat index 24 is outside [0, 24) for shape [8,3]');
  });

  test('normalizeAxis accepts [-rank, rank-1] and names the valid range otherwise', () => {
    expect(normalizeAxis(-1, 4)).toBe(3);
    expect(normalizeAxis(-4, 4)).toBe(0);
    expect(normalizeAxis(3, 4)).toBe(3);
    expect(() => normalizeAxis(4, 4)).toThrow(new RangeError('axis 4 is invalid for an array of rank 4; valid axes: [-4, 3]'));
    expect(() => normalizeAxis(-5, 4)).toThrow(/axis -5 .*\[-4, 3\]/);
    expect(() => normalizeAxis(0, 0)).toThrow(/a scalar has no axes/);
  });

  test('assertDenseArray names the caller and argument on a length mismatch', () => {
    expect(() => assertDenseArray({ shape: [2, 2], values: [1, 2, 3] }, 'f', 'x')).toThrow('f: x has 3 values but its shape [2,2] needs 4');
    expect(() => assertDenseArray({ shape: [2, -2], values: [] }, 'f', 'x')).toThrow('f: x has an invalid shape [2,-2]');
  });

  test.prop([fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 4 }), fc.nat()])(
    'unravelIndex · strides recovers the flat index',
    (shape, seed) => {
      const flat = seed % sizeOf(shape);
      const index = unravelIndex(flat, shape);
      const strides = stridesOf(shape);
      expect(index.reduce((sum, i, dim) => sum + i * strides[dim], 0)).toBe(flat);
      index.forEach((i, dim) => expect(i).toBeLessThan(shape[dim]));
    },
  );
});
