import type { Outcome } from '../../engine/expectations/classify';
import type { ProgressEvent } from '../../hosts/node/run-suite';
import type { CliIo } from './io';

const MARK: Record<Outcome, string> = { pass: 'ok  ', 'expected-fail': 'xf  ', 'unexpected-fail': 'FAIL', 'unexpected-pass': 'XPASS', 'not-observable': 'n/a ' };

/**
 * Progress for `bn-suite run`, on stderr so that `--json` keeps stdout clean: one rewritten line
 * on a terminal, one line per finished job otherwise (CI logs, pipes).
 */
export function progressReporter(io: CliIo): (event: ProgressEvent) => void {
  return (event) => {
    const counter = `[${String(event.done).padStart(String(event.total).length)}/${event.total}]`;
    if (io.isTty) {
      const width = 30;
      const filled = Math.round((event.done / Math.max(1, event.total)) * width);
      const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
      io.stderr(`\r\u001b[2K${bar} ${counter} ${event.scenario} @ ${event.backend}`);
      if (event.phase === 'done' && event.done === event.total) io.stderr('\n');
      return;
    }
    if (event.phase === 'done' && event.result !== undefined) {
      const r = event.result;
      io.stderr(`${counter} ${MARK[r.outcome]} ${r.scenario} @ ${r.backend}: ${r.status} (${r.casesRun} cases, ${r.durationMs} ms)\n`);
    }
  };
}
