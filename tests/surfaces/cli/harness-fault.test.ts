/**
 * A fault injected into bn-suite's own code (the snapshot code every invariant uses) must end the
 * run with exit 3, name itself as bn-suite's with how to report it, and write no verdict: it is
 * never recorded as tfjs behaviour.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { captureIo } from '../../helpers/cli';
import { main } from '../../../src/surfaces/cli/main';

jest.mock('../../../src/engine/snapshot/snapshot', () => ({
  ...jest.requireActual('../../../src/engine/snapshot/snapshot'),
  captureSnapshot: () => {
    throw new Error('injected fault in captureSnapshot');
  },
}));

test('a throw in the snapshot code: exit 3, named as ours, no results written', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-harness-fault-'));
  try {
    const io = captureIo();
    const code = await main(['node', 'bn-suite', 'run', '--scenario', 'frozen-gamma-beta', '--backend', 'cpu', '--runs', '2', '--out', out], io);
    expect(code).toBe(3);
    expect(io.err).toMatch(/internal error \(please report\): HarnessFault: bn-suite's own code failed, not tfjs: Error: injected fault in captureSnapshot \(at captureSnapshot /);
    expect(fs.existsSync(path.join(out, 'results.json'))).toBe(false);
    expect(io.out).toBe('');
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
