#!/usr/bin/env node
import { installSignalCleanup } from '@procpt/core';
import { runCli } from './program.js';

// Ctrl-C / SIGTERM: partial outputs are deleted, locks released, exit 130 / 143.
installSignalCleanup();
runCli(process.argv).then((code) => {
  process.exitCode = code;
  // The command is over: a handle it leaked (a worker thread, a timer) must not keep procpt alive.
  setTimeout(() => process.exit(code), 2000).unref();
});
