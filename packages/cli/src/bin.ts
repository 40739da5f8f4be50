#!/usr/bin/env node
import { installSignalCleanup } from '@procpt/core';
import { debugEnabled, reportError, runCli } from './program.js';

// A failure that escapes a command (an unhandled rejection in a callback, an error thrown by a
// stream or worker event handler) is reported like any other: one line, no stack unless
// PROCPT_DEBUG=1, and the exit code of its category.
const fatal = (error: unknown) => {
  process.exitCode = reportError(error, process.stderr, debugEnabled(process.argv));
  process.exit();
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

// Ctrl-C / SIGTERM: partial outputs are deleted, locks released, exit 130 / 143.
installSignalCleanup();
runCli(process.argv).then((code) => {
  process.exitCode = code;
  // The command is over: a handle it leaked (a worker thread, a timer) must not keep procpt alive.
  setTimeout(() => process.exit(code), 2000).unref();
});
