import { captureIo } from '../../helpers/cli';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { main } from '../../../src/surfaces/cli/main';

describe('bn-suite doctor', () => {
  test('--json reports versions and every backend with availability and reasons; exit 0', async () => {
    const io = captureIo();
    expect(await main(['node', 'bn-suite', 'doctor', '--json'], io)).toBe(0);
    const report = JSON.parse(io.out);
    expect(report.tfjs['@tensorflow/tfjs-core']).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.backends.map((b: { name: string }) => b.name)).toEqual(['cpu', 'wasm', 'tensorflow', 'webgl', 'webgpu']);
    for (const backend of report.backends) {
      if (!backend.available) expect(backend.reason).toEqual(expect.any(String));
    }
    expect(io.err).toBe('');
  });

  test('an unknown command exits 2', async () => {
    const io = captureIo();
    expect(await main(['node', 'bn-suite', 'nonsense'], io)).toBe(2);
    expect(io.err).toContain("unknown command 'nonsense'");
  });

  test('the compiled bin prints JSON without the tfjs Node.js banner', () => {
    const cli = path.resolve(__dirname, '../../../dist/cli.js');
    const stdout = execFileSync(process.execPath, [cli, 'doctor', '--json'], { encoding: 'utf8' });
    expect(() => JSON.parse(stdout)).not.toThrow();
    expect(stdout).not.toContain('Hi, looks like');
  });
});
