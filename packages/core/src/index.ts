export { ProcptError, isProcptError, assertConfig, formatValue } from './errors.js';
export type { ProcptErrorCode, ProcptErrorOptions } from './errors.js';
export {
  writeFileAtomic,
  writeDirAtomic,
  writeJsonAtomic,
  createAtomicWriteStream,
  tempPathFor,
} from './atomic.js';
export type { AtomicWriteStream } from './atomic.js';
export { Progress, formatCount, formatDuration } from './progress.js';
export type { ProgressOptions, ProgressState } from './progress.js';
export type { Sample, Batch, DataCursor, DataSpec, DataSource, BatchOptions, CursorBatch } from './data.js';
