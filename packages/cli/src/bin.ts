#!/usr/bin/env node
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

runCli(process.argv).then((code) => {
  process.exitCode = code;
});
