import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dumpNpy } from '../../../src/surfaces/inputs/npy';
import { UsageError } from '../../../src/engine/errors';
import { readAuditLabels, readAuditSamples } from '../../../src/surfaces/inputs/audit-data';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-audit-data-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Uint8Array) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
};

describe('audit data', () => {
  it('reads nested JSON arrays, {shape, values} JSON and .npy (float and integer) alike', () => {
    const nested = readAuditSamples(file('a.json', JSON.stringify([[[1, 2]], [[3, 4]]])));
    expect(nested).toEqual({ shape: [2, 1, 2], values: Float32Array.from([1, 2, 3, 4]) });
    expect(readAuditSamples(file('b.json', JSON.stringify({ shape: [2, 2], values: [1, 2, 3, 4] })))).toEqual({ shape: [2, 2], values: Float32Array.from([1, 2, 3, 4]) });
    expect(readAuditSamples(file('c.npy', new Uint8Array(dumpNpy(Float64Array.from([1, 2, 3, 4, 5, 6]), [3, 2]))))).toEqual({ shape: [3, 2], values: Float32Array.from([1, 2, 3, 4, 5, 6]) });
    expect(readAuditLabels(file('l.npy', new Uint8Array(dumpNpy(Int32Array.from([0, 2, 1]), [3]))))).toEqual(Int32Array.from([0, 2, 1]));
  });

  it.each([
    ['ragged rows', 'r.json', '[[1, 2], [3]]', /r\.json: \[1\]: expected an array of 2, like the first entry at this depth, found an array of 1/],
    ['a string', 's.json', '[[1, "2"]]', /s\.json: \[0\]\[1\]: "2" is not a finite number/],
    ['malformed JSON', 'm.json', '[[1, 2],\n [3, ]]', /m\.json:2:6: malformed JSON/],
    ['too few values for the shape', 'v.json', '{"shape": [2, 2], "values": [1, 2, 3]}', /expected a flat array of 4 numbers for shape \[2,2\], found 3/],
    ['no sample axis', 'f.json', '[1, 2, 3]', /--data '.*f\.json': shape \[3\]; expected samples along the first axis/],
    ['another extension', 'x.csv', '1,2', /expected a \.npy or \.json file/],
  ])('refuses %s, naming the file and where', (_name, name, content, message) => {
    const p = file(name, content);
    expect(() => readAuditSamples(p)).toThrow(UsageError);
    expect(() => readAuditSamples(p)).toThrow(message);
  });

  it('labels must be one class index (an integer >= 0) per sample', () => {
    expect(() => readAuditLabels(file('l1.json', '[0, 1.5]'))).toThrow(/entry 1 is 1\.5; expected a class index/);
    expect(() => readAuditLabels(file('l2.json', '[[0], [1]]'))).toThrow(/expected one class index per sample/);
    expect(() => readAuditLabels(path.join(dir, 'missing.json'))).toThrow(/--labels '.*missing\.json': no such file/);
  });
});
