import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBrowserBundles, ensureTfjsInstalled, tfjsPackagesFor, type NpmRunner } from '../../../src/hosts/child/tfjs-install';

/** An npm that "installs" by writing package.json files, or fails like the registry would. */
function fakeNpm(behaviour: 'ok' | '404' | 'wrong-version'): NpmRunner & { calls: number } {
  const npm = Object.assign(
    async (args: readonly string[], cwd: string) => {
      npm.calls++;
      if (behaviour === '404') return { code: 1, stderr: 'npm error code ETARGET\nnpm error notarget No matching version found for @tensorflow/tfjs-core@9.9.9.\n' };
      // Like npm: a relative --prefix is read from the folder npm runs in.
      const prefix = path.resolve(cwd, args[args.indexOf('--prefix') + 1]);
      for (const spec of args.filter((a) => a.startsWith('@tensorflow/'))) {
        const at = spec.lastIndexOf('@');
        const dir = path.join(prefix, 'node_modules', ...spec.slice(0, at).split('/'));
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ version: behaviour === 'wrong-version' ? '0.0.1' : spec.slice(at + 1) }));
      }
      return { code: 0, stderr: '' };
    },
    { calls: 0 },
  );
  return npm;
}

describe('ensureTfjsInstalled', () => {
  const root = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bn-tfjs-cache-'));

  test('tfjs 1.x has no backend-cpu package; 2.x and later do', () => {
    expect(tfjsPackagesFor('1.7.4')).not.toContain('@tensorflow/tfjs-backend-cpu');
    expect(tfjsPackagesFor('2.8.6')).toContain('@tensorflow/tfjs-backend-cpu');
  });

  test('installs once into tfjs-<version>, then reuses the verified folder', async () => {
    const cache = root();
    const npm = fakeNpm('ok');
    const first = await ensureTfjsInstalled('3.21.0', cache, npm);
    expect(first).toMatchObject({ ok: true, reused: false, folder: path.join(cache, 'tfjs-3.21.0') });
    const second = await ensureTfjsInstalled('3.21.0', cache, npm);
    expect(second).toMatchObject({ ok: true, reused: true });
    expect(npm.calls).toBe(1);
    // Nothing but the version folder is left behind.
    expect(fs.readdirSync(cache)).toEqual(['tfjs-3.21.0']);
  });

  // The matrix's default cache root is relative (.bn-suite-cache/tfjs), and npm runs in the staging folder.
  test('a relative cache root installs where it says, not inside the staging folder', async () => {
    const cwd = process.cwd();
    const dir = root();
    process.chdir(dir);
    try {
      const result = await ensureTfjsInstalled('4.22.0', path.join('cache', 'tfjs'), fakeNpm('ok'));
      expect(result).toMatchObject({ ok: true, folder: path.join(fs.realpathSync(dir), 'cache', 'tfjs', 'tfjs-4.22.0') });
    } finally {
      process.chdir(cwd);
    }
  });

  test('an unknown version, a folder that does not verify and a non-version are results with a reason, and leave nothing', async () => {
    const cache = root();
    expect(await ensureTfjsInstalled('9.9.9', cache, fakeNpm('404'))).toMatchObject({ ok: false, reason: expect.stringMatching(/^npm install failed: npm error code ETARGET/) });
    expect(await ensureTfjsInstalled('3.0.0', cache, fakeNpm('wrong-version'))).toMatchObject({ ok: false, reason: expect.stringMatching(/is 0\.0\.1, not 3\.0\.0/) });
    expect(await ensureTfjsInstalled('latest', cache, fakeNpm('ok'))).toMatchObject({ ok: false, reason: "'latest' is not an exact version (such as 3.21.0)" });
    expect(fs.readdirSync(cache)).toEqual([]);
  });
});

describe('ensureBrowserBundles', () => {
  const root = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bn-tfjs-cache-'));

  test("one folder per backend with core, cpu, the backend and layers at the version, beside the Node folder, reused later", async () => {
    const cache = root();
    const npm = fakeNpm('ok');
    const webgl = await ensureBrowserBundles('4.22.0', 'webgl', cache, npm);
    expect(webgl).toMatchObject({ ok: true, reused: false, folder: path.join(cache, 'tfjs-4.22.0-webgl') });
    for (const name of ['tfjs-core', 'tfjs-backend-cpu', 'tfjs-backend-webgl', 'tfjs-layers']) {
      expect(fs.existsSync(path.join(cache, 'tfjs-4.22.0-webgl', 'node_modules', '@tensorflow', name, 'package.json'))).toBe(true);
    }
    expect(await ensureBrowserBundles('4.22.0', 'webgl', cache, npm)).toMatchObject({ ok: true, reused: true });
    expect(npm.calls).toBe(1);
  });

  test('a version the backend was never published at is a reason, and npm is not asked', async () => {
    const npm = fakeNpm('ok');
    const webgpu = await ensureBrowserBundles('3.21.0', 'webgpu', root(), npm);
    expect(webgpu).toMatchObject({ ok: false, reason: expect.stringContaining('@tensorflow/tfjs-backend-webgpu has no release matching tfjs 3.21.0') });
    const webgl = await ensureBrowserBundles('1.7.4', 'webgl', root(), npm);
    expect(webgl).toMatchObject({ ok: false, reason: expect.stringContaining('served from 2.0.0 on') });
    expect(npm.calls).toBe(0);
  });
});
