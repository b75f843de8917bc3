import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { activateBackend, probeBackend } from '../../src/hosts/node/backends';

/**
 * Registers the setup the repro tests share: the cpu backend active (failing loudly when it cannot
 * load) and a fresh temporary folder, removed after the file's tests. Returns the folder's getter.
 */
export function useCpuAndTempDir(prefix: string): () => string {
  let dir = '';
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const cpu = await probeBackend('cpu');
    if (!cpu.available) throw new Error(`cpu backend unavailable: ${cpu.reason}`);
    await activateBackend('cpu');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}
