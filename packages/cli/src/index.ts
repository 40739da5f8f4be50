export { createProgram, runCli } from './program.js';
export type { CommandModule } from './program.js';
export { createContext, parseIntOption, parseNumberOption } from './context.js';
export type { CliContext } from './context.js';
