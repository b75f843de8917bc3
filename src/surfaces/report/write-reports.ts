import * as path from 'node:path';
import { HarnessError } from '../../engine/errors';
import { writeFileAtomic } from '../../hosts/node/atomic-write';
import type { SuiteResult } from '../../results/schema';
import { renderHtmlReport } from './html';
import { junitXml } from './junit';
import { summaryMarkdown } from './markdown';

/**
 * Writes results.json (the master), summary.md, junit.xml and index.html into `dir`, each
 * atomically. results.json goes first: a failure to render a derived report never loses it.
 */
export async function writeReports(dir: string, suite: SuiteResult): Promise<void> {
  const files: Array<[string, () => string | Promise<string>]> = [
    ['results.json', () => `${JSON.stringify(suite, null, 2)}\n`],
    ['summary.md', () => summaryMarkdown(suite)],
    ['junit.xml', () => junitXml(suite)],
    ['index.html', () => renderHtmlReport(suite)],
  ];
  for (const [name, render] of files) {
    const content = await render();
    const file = path.join(dir, name);
    try {
      writeFileAtomic(file, content);
    } catch (error) {
      // The atomic write leaves the previous file (or none), never a half one.
      throw new HarnessError(`cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
}

