import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Writes a file so that readers see either the old content or the whole new one, never a half
 * file: the text goes to a temporary file in the same folder (same filesystem) and is renamed
 * over the target, which is atomic on POSIX.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.writeFileSync(temporary, content);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}
