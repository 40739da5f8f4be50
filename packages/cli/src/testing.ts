import { PassThrough } from 'node:stream';
import { createContext } from './context.js';
import { runCli } from './program.js';

/** What one in-process `procpt` invocation printed and returned (test helper, not exported). */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `procpt <argv…>` in-process with captured stdout/stderr. */
export async function runProcpt(argv: string[]): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => {
    out += d;
  });
  stderr.on('data', (d) => {
    err += d;
  });
  const code = await runCli(['node', 'procpt', ...argv], createContext(stdout, stderr));
  return { code, out, err };
}
