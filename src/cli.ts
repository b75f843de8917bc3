#!/usr/bin/env node
import { main } from './surfaces/cli/main';
import { processIo } from './surfaces/cli/io';
import { EXIT } from './surfaces/cli/exit-codes';
import { bindNodeTfjs } from './hosts/node/tfjs';

// A write error on stdout or stderr must not surface as an unhandled 'error' event (which
// tfjs-wasm's uncaughtException handler turns into exit 7). A closed pipe (`| head`) is the
// reader's choice: further output is dropped and the run keeps its own exit code. Any other write
// error (a full disk) is bn-suite's environment failing: one line where it can still be said, exit 3.
for (const [name, stream] of [['stdout', process.stdout], ['stderr', process.stderr]] as const) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') return;
    if (name === 'stdout') {
      try {
        process.stderr.write(`bn-suite: cannot write to stdout (${error.code ?? error.message})\n`);
      } catch {
        // Nothing more can be said.
      }
    }
    process.exit(EXIT.harness);
  });
}

// The CLI is a Node host: its engine runs on the project's tfjs.
bindNodeTfjs();

void main(process.argv, processIo).then((code) => {
  process.exitCode = code;
});
