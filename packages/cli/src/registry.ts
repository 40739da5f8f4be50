import { corporaCommands } from './commands/corpora.js';
import { evalCommands } from './commands/eval.js';
import { modelCommands } from './commands/model.js';
import { procgenCommands } from './commands/procgen.js';
import { studyCommands } from './commands/study.js';
import { tokenizeCommands } from './commands/tokenize.js';
import { trainerCommands } from './commands/trainer.js';
import type { CommandModule } from './program.js';

/**
 * Every package's commands, in `--help` order. Each module lives in `commands/<package>.ts` and
 * calls only that package's public API.
 */
export const commandModules: CommandModule[] = [
  procgenCommands,
  modelCommands,
  evalCommands,
  trainerCommands,
  studyCommands,
  tokenizeCommands,
  corporaCommands,
];
