/** Where the browser host's page files are, relative to bn-suite's package root. */
import * as path from 'node:path';

/** The engine bundled for a page by the build (`npm run build`). */
export const PAGE_ENGINE_FILE = path.join('dist', 'hosts', 'browser', 'page-engine.js');
