#!/usr/bin/env node
import { main } from './cli/main';
import { processIo } from './cli/io';

void main(process.argv, processIo).then((code) => {
  process.exitCode = code;
});
