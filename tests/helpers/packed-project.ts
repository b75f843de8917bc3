/**
 * A fresh project as a user has it: bn-suite packed (`npm pack`, the dist/ that `npm test` built)
 * and installed from the tarball next to the given packages.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

/** Creates the project in a temporary folder and returns it; the caller removes it. */
export async function packedProject(name: string, packages: readonly string[]): Promise<string> {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), `bn-suite-${name}-`));
  // --ignore-scripts: dist/ is built by `npm test` before jest runs; pack exactly that.
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  const [{ filename }] = JSON.parse(packed.stdout) as Array<{ filename: string }>;
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: `uses-bn-suite-${name}`, version: '1.0.0', private: true }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(project, filename), ...packages], { cwd: project, maxBuffer: 16 * 1024 * 1024 });
  return project;
}
