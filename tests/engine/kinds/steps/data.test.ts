import { dataTensors, dataTensorShapes } from '../../../../src/engine/kinds/steps/data';
import { stepsDataSchema } from '../../../../src/engine/kinds/steps/schema';

const parse = (raw: unknown) => stepsDataSchema.parse(raw);

describe('steps data', () => {
  test('x, y and the named tensors get their shapes: [batch, ...inputShape] unless given', () => {
    const data = parse({ batch: 2, x: { fill: 1 }, y: { fill: 0 }, tensors: { second: { shape: [5, 3], fill: 2 }, same: { fill: 3 }, empty: { shape: [0, 3], values: [] } } });
    expect(Object.fromEntries(dataTensorShapes(data, [3], [1]))).toEqual({ x: [2, 3], y: [2, 1], second: [5, 3], same: [2, 3], empty: [0, 3] });
  });

  test('random tensors are seeded by the scenario seed and their own name: adding one changes no other', () => {
    const one = dataTensors(parse({ batch: 4, x: { uniform: { min: 0, max: 1 } }, tensors: { a: { gaussian: { mean: 0, scale: 1 } } } }), [3], [3], 7);
    const two = dataTensors(parse({ batch: 4, x: { uniform: { min: 0, max: 1 } }, tensors: { b: { fill: 1 }, a: { gaussian: { mean: 0, scale: 1 } } } }), [3], [3], 7);
    expect(two.get('x')?.values).toEqual(one.get('x')?.values);
    expect(two.get('a')?.values).toEqual(one.get('a')?.values);
    const other = dataTensors(parse({ batch: 4, x: { uniform: { min: 0, max: 1 } } }), [3], [3], 8);
    expect(other.get('x')?.values).not.toEqual(one.get('x')?.values);
    for (const v of one.get('x')?.values ?? []) expect(v >= 0 && v < 1).toBe(true);
  });

  test('sameAs copies x into the targets; copyOf with set writes one index along an axis', () => {
    const data = parse({ batch: 2, x: { values: [1, 2, 3, 4, 5, 6] }, y: { sameAs: 'x' }, tensors: { m: { copyOf: 'x', set: { axis: 1, index: 1, value: 0 } } } });
    const tensors = dataTensors(data, [3], [3], 1);
    expect(Array.from(tensors.get('y')?.values ?? [])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(tensors.get('m')?.values ?? [])).toEqual([1, 0, 3, 4, 0, 6]);
    expect(Array.from(tensors.get('x')?.values ?? [])).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('labels are one-hot rows of the output width', () => {
    const y = dataTensors(parse({ batch: 5, x: { fill: 0 }, y: { labels: true } }), [2], [3], 1).get('y');
    expect(y?.shape).toEqual([5, 3]);
    for (let row = 0; row < 5; row++) expect(Array.from(y?.values.slice(row * 3, row * 3 + 3) ?? []).reduce((a, b) => a + b, 0)).toBe(1);
  });

  test('literal values that do not fill their shape are named', () => {
    expect(() => dataTensors(parse({ batch: 2, x: { values: [1, 2, 3] } }), [2], [2], 1)).toThrow(/data.x.values has 3 values but its shape \[2, 2\] needs 4/);
  });
});
