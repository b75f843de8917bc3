#!/usr/bin/env node
import { main } from './surfaces/cli/main';
import { processIo } from './surfaces/cli/io';

void main(process.argv, processIo).then((code) => {
  process.exitCode = code;
});
