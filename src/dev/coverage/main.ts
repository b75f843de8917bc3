/**
 * `npm run coverage`: prints the upstream coverage table (expectations/upstream-coverage/*.yaml) as
 * Markdown, with its counts.
 *
 * @packageDocumentation
 */
import { coverageMarkdown, loadCoverage } from './upstream-coverage';

process.stdout.write(`${coverageMarkdown(loadCoverage().map((f) => f.coverage))}\n`);
