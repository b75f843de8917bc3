import { Presets, SingleBar } from 'cli-progress';
import type { Outcome } from '../../engine/expectations/classify';
import type { ProgressEvent } from '../../hosts/node/run-suite';
import type { CliIo } from './io';

const MARK: Record<Outcome, string> = { pass: 'ok  ', 'expected-fail': 'xf  ', 'unexpected-fail': 'FAIL', 'unexpected-pass': 'XPASS', 'not-observable': 'n/a ' };

/**
 * Progress for `bn-suite run`, on stderr so that `--json` keeps stdout clean: a redrawn bar
 * (cli-progress) on a terminal, one line per finished job otherwise (CI logs, pipes).
 */
export function progressReporter(io: CliIo): (event: ProgressEvent) => void {
  const terminal = io.terminal;
  if (terminal === null) {
    return (event) => {
      if (event.phase !== 'done' || event.result === undefined) return;
      const r = event.result;
      const counter = `[${String(event.done).padStart(String(event.total).length)}/${event.total}]`;
      io.stderr(`${counter} ${MARK[r.outcome]} ${r.scenario} @ ${r.backend}: ${r.status} (${r.casesRun} cases, ${r.durationMs} ms)\n`);
    };
  }
  // The bar exists from the first event (which knows the total) to the last job's end.
  let bar: SingleBar | null = null;
  let unexpected = 0;
  return (event) => {
    if (bar === null) {
      bar = new SingleBar({ stream: terminal, format: '{bar} {value}/{total} | {unexpected} unexpected | {job}', hideCursor: true, clearOnComplete: false }, Presets.shades_classic);
      bar.start(event.total, 0, { job: '', unexpected });
    }
    if (event.phase === 'done' && event.result !== undefined && (event.result.outcome === 'unexpected-fail' || event.result.outcome === 'unexpected-pass')) unexpected++;
    bar.update(event.done, { job: `${event.scenario} @ ${event.backend}`, unexpected });
    if (event.phase === 'done' && event.done === event.total) {
      bar.stop();
      bar = null;
    }
  };
}
