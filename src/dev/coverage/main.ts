/**
 * `npm run coverage`: prints the upstream coverage table (expectations/upstream-coverage/*.yaml) as
 * Markdown, with its counts.
 *
 * @packageDocumentation
 */
import { coverageMarkdown, loadCoverage } from './upstream-coverage';

// A reader that closes the pipe early (`npm run coverage | head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});
process.stdout.write(`${coverageMarkdown(loadCoverage().map((f) => f.coverage))}\n`);
