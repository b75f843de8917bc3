import * as fs from 'node:fs';
import * as path from 'node:path';
import writeFileAtomicLib from 'write-file-atomic';

/**
 * Writes a file so that readers see either the old content or the whole new one, never a half
 * file, and so that a crash right after the call cannot leave an empty file behind: the bytes go
 * to a temporary file in the same folder, are fsynced, and the file is renamed over the target
 * (write-file-atomic). The folder is created when missing. The one atomic-write helper of bn-suite.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomicLib.sync(file, typeof content === 'string' ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength));
}

/** {@link writeFileAtomic}, asynchronously. */
export async function writeFileAtomicAsync(file: string, content: string | Uint8Array): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomicLib(file, typeof content === 'string' ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength));
}
