import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '../..');
const DEPCRUISE = path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/** Runs dependency-cruiser with the project's rules on `cwd`'s src/ and returns the violations. */
async function cruise(cwd: string): Promise<Violation[]> {
  const run = await promisify(execFile)(process.execPath, [DEPCRUISE, 'src', '--config', CONFIG, '--output-type', 'json'], { cwd, maxBuffer: 64 * 1024 * 1024 }).catch(
    // depcruise exits non-zero when it finds violations; the JSON is on stdout either way.
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
  );
  const report = JSON.parse(run.stdout) as { summary: { violations: Violation[] } };
  return report.summary.violations;
}

describe('layering (.dependency-cruiser.cjs)', () => {
  test('src/ has no import cycle and no layer violation', async () => {
    const violations = await cruise(ROOT);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  });

  test('the rules catch an engine module that imports Node, tfjs or a host, and a cycle', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-layers-'));
    try {
      fs.writeFileSync(path.join(dir, 'tsconfig.build.json'), JSON.stringify({ compilerOptions: { module: 'node16', moduleResolution: 'node16' }, include: ['src'] }));
      fs.mkdirSync(path.join(dir, 'src', 'engine'), { recursive: true });
      fs.mkdirSync(path.join(dir, 'src', 'hosts'), { recursive: true });
      fs.mkdirSync(path.join(dir, 'src', 'surfaces'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'src', 'engine', 'bad.ts'), "import * as fs from 'node:fs';\nimport { host } from '../hosts/host';\nexport const bad = [fs, host];\n");
      fs.writeFileSync(path.join(dir, 'src', 'hosts', 'host.ts'), "import { ui } from '../surfaces/ui';\nexport const host = ui;\n");
      fs.writeFileSync(path.join(dir, 'src', 'surfaces', 'ui.ts'), "import { a } from './cycle';\nexport const ui = a;\n");
      fs.writeFileSync(path.join(dir, 'src', 'surfaces', 'cycle.ts'), "import { ui } from './ui';\nexport const a = 1;\nexport const b = ui;\n");
      const names = (await cruise(dir)).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
      expect(names).toEqual(
        expect.arrayContaining([
          'engine-no-node-builtins: src/engine/bad.ts -> fs',
          'engine-not-to-outer-layers: src/engine/bad.ts -> src/hosts/host.ts',
          'hosts-not-to-surfaces: src/hosts/host.ts -> src/surfaces/ui.ts',
          expect.stringMatching(/^no-circular: src\/surfaces\/(ui|cycle)\.ts -> src\/surfaces\/(cycle|ui)\.ts$/),
        ]),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
