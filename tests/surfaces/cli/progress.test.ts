import { Writable } from 'node:stream';
import type { ProgressEvent } from '../../../src/hosts/node/run-suite';
import type { CliIo, TerminalStream } from '../../../src/surfaces/cli/io';
import { progressReporter } from '../../../src/surfaces/cli/progress';
import { resultRecord } from '../../helpers/fixtures';

/** A terminal that records what is written to it. */
function fakeTerminal(): TerminalStream & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  }) as Writable & TerminalStream & { text: () => string };
  stream.isTTY = true;
  stream.columns = 160;
  stream.text = () => chunks.join('');
  return stream;
}

function events(): ProgressEvent[] {
  const jobs = [
    { scenario: 'oracle/affine', backend: 'cpu' as const, outcome: 'pass' as const },
    { scenario: 'mode-switch/fit', backend: 'wasm' as const, outcome: 'unexpected-fail' as const },
  ];
  return jobs.flatMap((job, i) => {
    const result = resultRecord({ scenario: job.scenario, backend: job.backend, ...(job.outcome === 'pass' ? {} : { status: 'fail', summary: 'differs' }), outcome: job.outcome });
    return [
      { phase: 'start' as const, done: i, total: jobs.length, scenario: job.scenario, backend: job.backend },
      { phase: 'done' as const, done: i + 1, total: jobs.length, scenario: job.scenario, backend: job.backend, result },
    ];
  });
}

describe('progressReporter', () => {
  test('on a terminal: one bar redrawn up to the last job, with the unexpected count, and the cursor given back', () => {
    const terminal = fakeTerminal();
    let stderr = '';
    const io: CliIo = { stdout: () => undefined, stderr: (t) => void (stderr += t), terminal };
    const report = progressReporter(io);
    for (const event of events()) report(event);
    const text = terminal.text();
    expect(text).toContain('2/2 | 1 unexpected | mode-switch/fit @ wasm');
    // Hidden while drawing, shown again at the end.
    expect(text).toContain('\u001b[?25l');
    expect(text.lastIndexOf('\u001b[?25h')).toBeGreaterThan(text.lastIndexOf('\u001b[?25l'));
    expect(stderr).toBe('');
  });

  test('under CI or a pipe: a line per finished job, with its outcome mark', () => {
    let stderr = '';
    const report = progressReporter({ stdout: () => undefined, stderr: (t) => void (stderr += t), terminal: null });
    for (const event of events()) report(event);
    expect(stderr.split('\n')).toEqual(['[1/2] ok   oracle/affine @ cpu: pass (1 cases, 1 ms)', '[2/2] FAIL mode-switch/fit @ wasm: fail (1 cases, 1 ms)', '']);
  });
});
